"""The course's steps inside nbgrader's own commands (named in ``nbgrader_config.py``).

With them, stock nbgrader and the course's commands agree:

- :class:`CourseNotebook` is the last step of ``nbgrader generate_assignment``: the course's
  clean-up (no outputs, no execution counts, no volatile metadata) and its navigation cells
  (``navigation.py``). ``nbgrader generate_assignment --force`` (from the command line or
  the Formgrader) therefore writes the very bytes ``python -m autograder generate`` does.
- :class:`OverwriteReleasedCells` replaces nbgrader's ``OverwriteCells`` in ``nbgrader
  autograde``. Stock ``OverwriteCells`` compares a locked cell of the submission with the
  checksum of the *source* cell, computed before the hidden tests were removed, so it warns
  ``Attribute 'checksum' ... has changed!`` on every untouched test cell that has hidden
  tests (jupyter/nbgrader#1961). This one compares the cell with what was *released* (the
  source with its hidden tests and mark scheme removed, exactly as ``generate_assignment``
  removes them): an untouched cell then passes silently, and is restored from the gradebook,
  hidden tests included; a test cell the student changed is still reported and restored.
"""

from __future__ import annotations

from nbformat import NotebookNode
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import (
    ClearHiddenTests,
    ClearMarkScheme,
    NbGraderPreprocessor,
    OverwriteCells,
)

from .. import cells
from . import navigation


class CourseNotebook(NbGraderPreprocessor):
    """Clean the student version and add the course's navigation cells."""

    def preprocess(self, nb, resources):
        nb = cells.clean(nb)
        info = resources.get("nbgrader", {})
        assignment, notebook = info.get("assignment"), info.get("notebook")
        entries = navigation.course()
        # the course's layout: one notebook per assignment, named after it
        if notebook == assignment and assignment in [e["name"] for e in entries]:
            nb = navigation.add_navigation(nb, assignment, entries)
        return nb, resources


class OverwriteReleasedCells(OverwriteCells):
    """``OverwriteCells`` that judges a locked cell against its released version."""

    def _released(self, source_cell) -> str:
        cell = NotebookNode(cell_type=source_cell.cell_type, source=source_cell.source,
                            metadata={})
        ClearHiddenTests(parent=self)._remove_hidden_test_region(cell)
        ClearMarkScheme(parent=self)._remove_mark_scheme_region(cell)
        return cell.source

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None:
            try:
                source = self.gradebook.find_source_cell(grade_id, self.notebook_id,
                                                         self.assignment_id)
            except MissingEntry:
                source = None  # OverwriteCells reports it
            if (source is not None and source.locked and cell.cell_type == source.cell_type
                    and cell.source == self._released(source)):
                cell.source = source.source  # untouched: put the hidden tests back
        return super().preprocess_cell(cell, resources, cell_index)

