"""Build the course's reading site with Jupyter Book 1.x, offline: ``make site``.

    .venv/bin/python scripts/build_site.py [--language CODE ...] [--out DIR]

What a self-study reader gets, and why: each page is the notebook *executed from the
solution*, so every figure and number is there to read, with each exercise's solution and
each model answer folded away behind "Show ..." (try first, then look). Hidden tests are
removed before anything is built. The download button and the link at the top of each
page give the *student* notebook to work in; with the repository's GitHub path written by
``scripts/binder_badge.py`` (the README's Binder badges), each page also gets a Binder
launch button opening that student notebook. Search, the sidebar of contents, the
contents of each page and dark mode are the theme's (sphinx-book-theme).

One book per language: ``site/_config.yml`` is what they share, ``site/languages/CODE.yml``
what each has of its own (its notebooks, its words). A translated edition's pages are the
same solution notebooks with their markdown translated (``translations: CODE`` in its file:
``autograder.course.translations.translate`` with ``translations/CODE/*.po``); their code is the
English pages' code, so the execution cache runs each notebook once for every language. Each is written as a Jupyter Book
source in ``site/_build/books/CODE/`` and built by ``jupyter-book build`` into
``site/_build/html/CODE/``; ``site/_build/html/index.html`` leads to the first language.
Executions are cached (jupyter-cache) in ``site/_build/.jupyter_cache/<fingerprint>``,
where the fingerprint covers the code the notebooks import, so a change there runs them
again; a failing cell fails the build.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import html
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import binder_badge  # noqa: E402
from autograder import cells  # noqa: E402
from autograder.course import navigation  # noqa: E402
from autograder.course import translations as T  # noqa: E402

SITE = ROOT / "site"
OUT = SITE / "_build"
CACHE = OUT / ".jupyter_cache"
BINDERHUB = "https://mybinder.org"
#: what the notebooks' outputs depend on besides their own code: a change here runs them again
FINGERPRINTED = ["course_utils", "pyproject.toml"]

HIDDEN = re.compile(r"\n?[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*", re.S)
MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)
#: a cell that opens a slider demo shows the demo's starting figure on the site instead
STATIC_DEMOS = {"interactive_gamma_beta": "gamma_beta_sigmoid_demo",
                "interactive_batch_noise": "batch_noise_demo"}


@dataclass(frozen=True)
class Language:
    """One edition of the site, read from ``site/languages/CODE.yml``."""

    code: str
    name: str
    sphinx_language: str
    solutions: Path
    notebooks: Path
    texts: dict
    #: where the student notebooks are in the repository, for Binder's launch links
    notebooks_in_repo: str = "notebooks"
    #: the language of ``translations/`` applied to the solutions' markdown (None: as written)
    translations: str | None = None

    @classmethod
    def load(cls, path: Path, root: Path = ROOT) -> "Language":
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return cls(code=Path(path).stem, name=data["name"],
                   sphinx_language=data.get("sphinx_language", Path(path).stem),
                   solutions=root / data["solutions"], notebooks=root / data["notebooks"],
                   texts=data["texts"], notebooks_in_repo=data["notebooks"],
                   translations=data.get("translations"))

    def source(self, name: str):
        """The solution notebook ``name`` in this language (its markdown translated)."""
        nb = nbformat.read(self.solutions / name / f"{name}.ipynb", as_version=4)
        return T.translate(nb, self.translations, name) if self.translations else nb

    def time_label(self) -> str:
        """How this edition's notebooks label their estimated time."""
        english = navigation.TEXTS["estimated-time"]
        if not self.translations:
            return english
        return T.words(self.translations)("estimated-time", english)

    def assignments(self) -> list[str]:
        """``NN_slug`` of each notebook of this edition, in course order."""
        return sorted(p.name for p in self.solutions.glob("[0-9][0-9]_*")
                      if (p / f"{p.name}.ipynb").exists())


def languages(folder: Path = SITE / "languages") -> list[Language]:
    """Every edition; English first (the root page leads there), then by code."""
    found = [Language.load(p) for p in sorted(folder.glob("*.yml"))]
    return sorted(found, key=lambda lang: (lang.code != "en", lang.code))


def fingerprint(root: Path = ROOT) -> str:
    """A hash of the files in FINGERPRINTED (names and bytes), for the execution cache."""
    digest = hashlib.sha256()
    for entry in FINGERPRINTED:
        base = root / entry
        files = [base] if base.is_file() else sorted(
            p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        for f in files:
            digest.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()[:16]


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"^:{3,}", text, re.M)), default=2)
    return ":" * (longest + 1)


def prepare(nb, name: str, texts: dict):
    """The reader's version of a solution notebook, before execution."""
    nb = copy.deepcopy(nb)
    out = []
    for cell in nb.cells:
        if cells.is_autograded_test(cell):
            cell.source = HIDDEN.sub("", cell.source).rstrip()
        elif cells.meta(cell).get("solution") and cell.cell_type == "code":
            cell.source = MARKER.sub("", cell.source)
            cell.metadata.setdefault("tags", []).append("hide-input")
        elif cells.is_manual_answer(cell):
            fence = _fence(cell.source)
            cell.source = f"{fence}{{dropdown}} {texts['answer_fold']}\n{cell.source}\n{fence}"
        if cell.cell_type == "code":
            for widget, static in STATIC_DEMOS.items():
                if f"{widget}(" in cell.source:
                    cell.source = cell.source.replace(widget, static)
                    out.append(nbformat.v4.new_markdown_cell(texts["static_demo"],
                                                             id=f"site-{cell.id}"))
        out.append(cell)
        if cell.cell_type == "markdown" and re.search(r"^# ", cell.source, re.M) and \
                not any(c.get("id") == "site-work-here" for c in out):
            link = f"{{download}}`{texts['student_link']} <{_student_path(name)}>`"
            out.append(nbformat.v4.new_markdown_cell(
                ":::{note}\n" + texts["work_here"].replace("{student}", link) + "\n:::",
                id="site-work-here"))
    nb.cells = out
    nb.metadata.pop("widgets", None)
    return nb


def _student_path(name: str) -> str:
    return f"/_student/{name}.ipynb"


def index_page(lang: Language, names: list[str], binder: bool) -> str:
    t = lang.texts
    rows = []
    for i, name in enumerate(names, 1):
        nb = lang.source(name)
        title = navigation._heading(nb) or name
        rows.append(f"| {i:02d} | [{title}]({name}/{name}.ipynb) | "
                    f"{navigation._time(nb, lang.time_label())} | "
                    f"{{download}}`{t['row_download']} <{_student_path(name)}>` |")
    intro = t["index"].replace("{title}", t["title"]).replace("{binder}",
                                                             t["binder"] if binder else "")
    return (intro.rstrip() + "\n\n" + t["table_head"] + "\n"
            + "|---" * t["table_head"].count("|", 1) + "|\n" + "\n".join(rows) + "\n")


def book_config(lang: Language, editions: list[Language], names: list[str],
                repository: tuple[str, str] | None, cache: Path) -> dict:
    """``_config.yml`` of one language's book: the shared part plus this language's own."""
    config = yaml.safe_load((SITE / "_config.yml").read_text(encoding="utf-8"))
    config["title"] = lang.texts["title"]
    config["execute"]["cache"] = str(cache)
    sphinx = config["sphinx"]
    sphinx["local_extensions"] = {"course_site": str(SITE)}
    sphinx["config"].update({
        "language": lang.sphinx_language,
        "nb_code_prompt_show": lang.texts["solution_fold"],
        "nb_code_prompt_hide": lang.texts["solution_hide"],
        "course_language": lang.code,
        "course_languages": [{"code": e.code, "name": e.name,
                              "tooltip": e.texts.get("switch_tooltip", e.name)}
                             for e in editions],
        "course_student_notebooks": {f"{n}/{n}": str(lang.notebooks / n / f"{n}.ipynb")
                                     for n in names},
        "html_sidebars": {"**": ["navbar-logo.html", "icon-links.html",
                                 "search-button-field.html", "course-languages.html",
                                 "sbt-sidebar-nav.html"]},
    })
    # launch buttons only once the repository's public path is known (binder_badge.py)
    config["repository"] = {"url": "", "path_to_book": "", "branch": "HEAD"}
    if repository:
        repo, ref = repository
        config["repository"] = {
            "url": f"https://github.com/{repo}", "branch": quote(ref, safe=""),
            # the page NN/NN opens the student notebook <notebooks>/NN/NN.ipynb
            "path_to_book": lang.notebooks_in_repo.strip("/")}
        config["launch_buttons"]["binderhub_url"] = BINDERHUB
    return config


def _write(path: Path, text: str) -> None:
    """Write only what changed, so Sphinx rereads only the pages that did."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def write_book(lang: Language, book: Path, editions: list[Language],
               repository: tuple[str, str] | None, cache: Path) -> list[str]:
    """The Jupyter Book source of one language in ``book``; returns its notebook names."""
    names = lang.assignments()
    if not names:
        raise SystemExit(f"{lang.code}: no notebooks in {lang.solutions}")
    for name in names:
        source = lang.source(name)
        _write(book / name / f"{name}.ipynb",
               nbformat.writes(prepare(source, name, lang.texts)) + "\n")
        student = lang.notebooks / name / f"{name}.ipynb"
        if not student.exists():
            raise SystemExit(f"{lang.code}: no student notebook {student}")
        _write(book / _student_path(name).lstrip("/"), student.read_text(encoding="utf-8"))
    _write(book / "index.md", index_page(lang, names, binder=repository is not None))
    toc = {"format": "jb-book", "root": "index",
           "chapters": [{"file": f"{n}/{n}"} for n in names]}
    _write(book / "_toc.yml", yaml.safe_dump(toc, sort_keys=False))
    config = book_config(lang, editions, names, repository, cache)
    _write(book / "_config.yml", yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    return names


def run_jupyter_book(book: Path) -> Path:
    """``jupyter-book build`` on one book; every warning fails it. Returns its html folder."""
    env = dict(os.environ, MPLBACKEND="module://matplotlib_inline.backend_inline")
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(book),
           "--builder", "html", "-W", "--keep-going", "-q"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"jupyter-book build {book} failed:\n{done.stdout[-6000:]}"
                         f"\n{done.stderr[-6000:]}")
    return book / "_build" / "html"


def root_page(editions: list[Language]) -> str:
    first = editions[0]
    links = "\n".join(f'<li><a href="{e.code}/index.html" hreflang="{e.code}">'
                      f'{html.escape(e.texts["title"])} ({html.escape(e.name)})</a></li>'
                      for e in editions)
    return f"""<!DOCTYPE html>
<html lang="{first.code}"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="0; url={first.code}/index.html">
<title>{html.escape(first.texts["title"])}</title></head>
<body><ul>
{links}
</ul></body></html>
"""


def build(out: Path = OUT, editions: list[Language] | None = None,
          repository: tuple[str, str] | None | bool = True, cache: Path = CACHE,
          linked: list[Language] | None = None, log=print) -> Path:
    """Build each edition (default: every one) into ``out/html/CODE/``; returns ``out/html``.

    ``repository`` is ``(OWNER/REPO, ref)`` for launch buttons, None for none, or True to
    read it from the README's Binder badges (none until binder_badge.py has written them).
    ``linked`` are the editions each page links to (default: those built).
    """
    editions = editions or languages()
    linked = linked or editions
    if repository is True:
        repository = binder_badge.configured()
    cache_dir = Path(cache) / fingerprint()
    if Path(cache).is_dir():  # runs made with other code are stale: drop them
        for old in Path(cache).iterdir():
            if old != cache_dir:
                shutil.rmtree(old, ignore_errors=True)
    site = Path(out) / "html"
    site.mkdir(parents=True, exist_ok=True)
    for lang in editions:
        start, cpu = time.perf_counter(), _children_cpu()
        book = Path(out) / "books" / lang.code
        names = write_book(lang, book, linked, repository, cache_dir)
        built = run_jupyter_book(book)
        shutil.rmtree(site / lang.code, ignore_errors=True)
        shutil.copytree(built, site / lang.code)
        log(f"site: {lang.code}, {len(names)} notebooks in {time.perf_counter() - start:.0f} s "
            f"(CPU {_children_cpu() - cpu:.0f} s)")
    (site / "index.html").write_text(root_page(linked), encoding="utf-8")
    log(f"site: open {site / 'index.html'}, or serve it: "
        f"python -m http.server -d {site} and open http://127.0.0.1:8000/")
    return site


def _children_cpu() -> float:
    usage = os.times()
    return usage.children_user + usage.children_system


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Build the course's reading site (offline).")
    parser.add_argument("--language", action="append", metavar="CODE",
                        help="build only this language (repeatable; default: every file in "
                             "site/languages/)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {OUT})")
    args = parser.parse_args(argv)
    editions = languages()
    if args.language:
        unknown = set(args.language) - {e.code for e in editions}
        if unknown:
            parser.error(f"unknown language {sorted(unknown)}; known: "
                         f"{[e.code for e in editions]}")
        editions = [e for e in editions if e.code in args.language]
    build(args.out, editions, linked=languages())
    return 0


if __name__ == "__main__":
    sys.exit(main())
