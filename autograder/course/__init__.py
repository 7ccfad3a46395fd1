"""Authoring the course: ``solutions/`` -> the student notebooks, English and translated.

The steps, in order:

1. :mod:`~autograder.course.authoring`     write a source notebook from Python (cells with
                                           their nbgrader metadata), for course authors;
2. :mod:`~autograder.course.translations`  the course's text in other languages: one PO
                                           file per notebook and language
                                           (``python -m autograder translations``);
3. :mod:`~autograder.course.generate`      ``python -m autograder generate``: nbgrader
                                           ``generate_assignment`` with the course's
                                           configuration, then the contents notebook;
4. :mod:`~autograder.course.nbgrader_plugins`  the course's steps inside nbgrader's own
                                           commands (its last generate step; autograde
                                           comparing a test cell with what was released);
5. :mod:`~autograder.course.navigation`    the "previous | contents | next" cells and the
                                           contents notebook;
6. :mod:`~autograder.course.editions`      the translated editions, ``notebooks/<lang>/``.

The configuration nbgrader loads by path, ``autograder/nbgrader_config.py``, stays at the
package's top (``cd autograder && nbgrader ...``, ``JUPYTER_CONFIG_PATH=autograder``) and
names the plugins here by their dotted path. The cells' nbgrader metadata every pipeline
reads is :mod:`autograder.cells`.
"""
