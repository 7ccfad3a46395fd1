"""Write the course's JupyterLab settings into the environment (idempotent): the student's lab.

Run by ``make setup`` and by Binder's ``postBuild``; everything goes into the environment's
own prefix (``.venv``, or Binder's environment), never into the user's ``~/.jupyter``.

- ``<prefix>/share/jupyter/lab/settings/overrides.json``: no "Jupyter news" pop-up and no
  update check (learners see the notebook, not a privacy question, and nothing reaches for
  the network); every cell of a notebook rendered (no windowing: the course's notebooks are
  short, and find-in-page and the browser tests then see every output).
- nbgrader's instructor tools off for students, as nbgrader's documentation describes
  (installation: "nbgrader extensions in Jupyter Lab"): the lab extensions "Create
  Assignment", "Formgrader", "Courses", "Assignments" and the "Nbgrader" menu, and the
  formgrader, course-list and assignment-list server extensions. The files written are
  exactly what ``jupyter labextension disable --level=sys_prefix`` (plus ``jupyter
  labextension lock``, so they cannot be switched back on from the Extension Manager) and
  ``jupyter server extension disable --sys-prefix`` write, without their minute of start-up.
  Validate (lab and server extension) stays on. There is no exchange under ``make lab`` or
  on Binder, so the Assignments and Courses tabs could only say "Error fetching courses!".

The instructor's lab (``make instructor``) puts ``autograder/`` first on
``JUPYTER_CONFIG_PATH``: its ``labconfig/page_config.json`` and ``jupyter_server_config.json``
switch the instructor tools back on for that server alone, and nbgrader finds the course's
``nbgrader_config.py`` there.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension:tracker": {
        "windowingMode": "none",
    },
}

# nbgrader 0.9's lab plugins and server extensions that students do not use
STUDENT_OFF_LAB = [
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:assignment-list",
    "@jupyter/nbgrader:menu",
]
STUDENT_OFF_SERVER = [
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
    "nbgrader.server_extensions.assignment_list",
]
# kept on for students: nbgrader's Validate button and the server extension behind it
STUDENT_ON_LAB = ["@jupyter/nbgrader:validate-assignment"]
STUDENT_ON_SERVER = ["nbgrader.server_extensions.validate_assignment"]


def _update_json(path: Path, update) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text()) if path.exists() and path.read_text().strip() else {}
    update(current)
    path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")


def _lab_settings(current: dict) -> None:
    for plugin, values in OVERRIDES.items():
        current.setdefault(plugin, {}).update(values)


def _page_config(current: dict) -> None:
    for key in ("disabledExtensions", "lockedExtensions"):
        if isinstance(current.get(key), list):  # JupyterLab 3 wrote lists
            current[key] = {name: True for name in current[key]}
        current.setdefault(key, {}).update({name: True for name in STUDENT_OFF_LAB})
        current[key].update({name: False for name in STUDENT_ON_LAB})


def main(prefix: str = sys.prefix) -> list[Path]:
    prefix = Path(prefix)
    settings = prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    _update_json(settings, _lab_settings)
    config = prefix / "etc" / "jupyter"
    page_config = config / "labconfig" / "page_config.json"
    _update_json(page_config, _page_config)
    written = [settings, page_config]
    for module, enabled in [*((m, False) for m in STUDENT_OFF_SERVER),
                            *((m, True) for m in STUDENT_ON_SERVER)]:
        # one file per extension, named as `jupyter server extension disable` names it; it
        # sorts after nbgrader's own nbgrader.json, which enables all four
        path = config / "jupyter_server_config.d" / f"{module}.json"
        _update_json(path, lambda cur, m=module, on=enabled: cur.setdefault("ServerApp", {})
                     .setdefault("jpserver_extensions", {}).update({m: on}))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in main(*sys.argv[1:]):
        print(f"JupyterLab settings: {path}")
