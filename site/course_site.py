"""The reading site's own Sphinx extension, loaded by every language's book.

- MathJax comes from the jupyter-server-mathjax package, copied into ``_static/mathjax``
  (``mathjax_path`` in ``_config.yml`` points there): the site loads nothing from outside.
- The theme's download button serves the page's ``_sources`` copy of its notebook. Each
  page was executed from its *solution*; the reader must get the *student* notebook to
  work in, so that copy is replaced by it (``course_student_notebooks``).
- The sidebar links the same page in each of the other languages (``course_languages``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _language_links(app, pagename, templatename, context, doctree):
    languages = app.config.course_languages
    if len(languages) < 2:
        return
    up = "../" * (pagename.count("/") + 1)
    context["course_language_links"] = [
        {"code": lang["code"], "name": lang["name"], "title": lang.get("tooltip", ""),
         "url": None if lang["code"] == app.config.course_language
         else f"{up}{lang['code']}/{pagename}.html"}
        for lang in languages]


def _finish(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    import jupyter_server_mathjax

    static = Path(app.outdir) / "_static"
    shutil.copytree(Path(jupyter_server_mathjax.__file__).parent / "static",
                    static / "mathjax", dirs_exist_ok=True)
    for docname, student in app.config.course_student_notebooks.items():
        target = Path(app.outdir) / "_sources" / f"{docname}.ipynb"
        if not target.exists():
            raise FileNotFoundError(f"{target}: the page {docname} has no notebook to replace")
        shutil.copyfile(student, target)


def _templates(app, config):
    config.templates_path.append(str(HERE / "templates"))


def setup(app):
    app.add_config_value("course_student_notebooks", {}, "html")  # docname -> student notebook
    app.add_config_value("course_languages", [], "html")  # [{code, name, tooltip}], in order
    app.add_config_value("course_language", "en", "html")  # this book's code
    app.connect("config-inited", _templates)
    app.connect("html-page-context", _language_links)
    app.connect("build-finished", _finish)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
