"""Write the course's JupyterLab settings overrides into the environment (idempotent).

JupyterLab reads ``<prefix>/share/jupyter/lab/settings/overrides.json`` at start. The course
turns off the "Jupyter news" pop-up and the update check (learners see the notebook, not a
privacy question, and nothing reaches for the network), and renders every cell of a
notebook (no windowing: the course's notebooks are short, and find-in-page and the
browser tests then see every output).
"""

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


def main(prefix: str = sys.prefix) -> Path:
    path = Path(prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text()) if path.exists() else {}
    for plugin, values in OVERRIDES.items():
        current.setdefault(plugin, {}).update(values)
    path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    return path


if __name__ == "__main__":
    print(f"JupyterLab settings: {main(*sys.argv[1:])}")
