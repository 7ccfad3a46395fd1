"""Write the README's Binder badges for the repository's public GitHub path.

    .venv/bin/python scripts/binder_badge.py OWNER/REPO [--ref BRANCH]

The badges open JupyterLab on mybinder.org at the contents (notebooks/00_index.ipynb) and
at the first notebook. They go between the README's ``<!-- binder-badges -->`` markers,
replacing what is there, so running it again (a new owner, a renamed repository) is safe.
The path cannot be guessed from a clone: run this once the repository is public.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from urllib.parse import quote, unquote

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- binder-badges -->", "<!-- /binder-badges -->"
BADGE = "https://mybinder.org/badge_logo.svg"
GITHUB_PATH = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")


def targets(root: Path = ROOT) -> list[tuple[str, str]]:
    """(label, notebook path) for each badge: the contents, then the first notebook."""
    first = sorted(p for p in (root / "notebooks").glob("0[1-9]_*/*.ipynb"))[0]
    return [("Open the course on Binder", "notebooks/00_index.ipynb"),
            (f"Start with {first.stem} on Binder", first.relative_to(root).as_posix())]


def badges(repo: str, ref: str = "HEAD", root: Path = ROOT) -> str:
    if not GITHUB_PATH.match(repo):
        raise ValueError(f"'{repo}' is not a GitHub path: give OWNER/REPO, e.g. "
                         "my-school/bn-from-scratch")
    lines = []
    for label, notebook in targets(root):
        url = (f"https://mybinder.org/v2/gh/{repo}/{quote(ref, safe='')}"
               f"?urlpath={quote('lab/tree/' + notebook, safe='')}")
        lines.append(f"[![{label}]({BADGE})]({url})")
    return "\n".join(lines)


def write(readme: Path, block: str) -> None:
    text = readme.read_text(encoding="utf-8")
    if text.count(START) != 1 or text.count(END) != 1:
        raise ValueError(f"{readme} needs exactly one {START} ... {END} pair of markers")
    head, rest = text.split(START)
    _, tail = rest.split(END)
    readme.write_text(f"{head}{START}\n{block}\n{END}{tail}", encoding="utf-8")


def configured(readme: Path = ROOT / "README.md") -> tuple[str, str] | None:
    """(OWNER/REPO, ref) of the badges this script wrote into the README; None before.

    The reading site (scripts/build_site.py) reads it to give each page a Binder button.
    """
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        return None
    block = text.split(START, 1)[1].split(END, 1)[0]
    found = re.search(r"\(https://mybinder\.org/v2/gh/([^/\s]+/[^/\s]+)/([^?\s)]+)\?", block)
    return (found.group(1), unquote(found.group(2))) if found else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", metavar="OWNER/REPO", help="the repository's GitHub path")
    parser.add_argument("--ref", default="HEAD", help="branch, tag or commit (default HEAD)")
    parser.add_argument("--readme", default=str(ROOT / "README.md"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        write(Path(args.readme), badges(args.repo, args.ref))
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote the Binder badges for {args.repo} into {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
