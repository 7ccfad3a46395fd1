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
