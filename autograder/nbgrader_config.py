# nbgrader configuration of the course. nbgrader reads this file when it runs from this
# folder (cd autograder && nbgrader ...) or when JUPYTER_CONFIG_PATH points here.
# The course's own commands (python -m autograder ...) use it too.
from pathlib import Path

HERE = Path(__file__).resolve().parent

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "bn-from-scratch"
c.CourseDirectory.root = str(HERE.parent)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.submitted_directory = "autograder/submitted"
c.CourseDirectory.autograded_directory = "autograder/autograded"
c.CourseDirectory.feedback_directory = "autograder/feedback"
c.CourseDirectory.db_url = f"sqlite:///{HERE / 'gradebook.db'}"

# Student versions carry no outputs; stubs raise NotImplementedError.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# A whole notebook of the course runs in well under this per cell.
c.ExecutePreprocessor.timeout = 300

# Stock nbgrader commands must not undo the course's (autograder/course/nbgrader_plugins.py):
# - generate_assignment ends with the course's clean-up and navigation cells, so that
#   `nbgrader generate_assignment --force` (command line or Formgrader) writes exactly what
#   `python -m autograder generate` writes;
# - autograde compares a locked cell with its released version (hidden tests removed), so
#   an untouched test cell raises no "Attribute 'checksum' ... has changed!" warning.
from nbgrader.converters import Autograde, GenerateAssignment  # noqa: E402

from autograder.course.nbgrader_plugins import CourseNotebook, OverwriteReleasedCells  # noqa: E402

c.GenerateAssignment.preprocessors = [
    *GenerateAssignment.class_traits()["preprocessors"].default(), CourseNotebook]
c.Autograde.sanitize_preprocessors = [
    OverwriteReleasedCells if pp.__name__ == "OverwriteCells" else pp
    for pp in Autograde.class_traits()["sanitize_preprocessors"].default()]
