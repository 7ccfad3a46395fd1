"""``python -m autograder``: generate student notebooks, check one, grade a class (whole, or
in shards on several machines: ``key``, ``grade --shard``, ``merge``), export the grades
for a learning platform (``export``), keep the translations up to date (``translations
update``, ``translations status``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def version() -> str:
    """The course's version: pyproject.toml's, its one source (read from the repository's
    pyproject.toml, or from the installed package's metadata outside a checkout)."""
    from .paths import ROOT

    pyproject = ROOT / "pyproject.toml"
    if pyproject.exists():
        import tomllib

        return tomllib.loads(pyproject.read_text())["project"]["version"]
    from importlib.metadata import version as installed

    return installed("bn-from-scratch")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autograder",
        description="Batch Normalization, from scratch: the course's grading tools.")
    parser.add_argument("--version", action="version", version=f"bn-from-scratch {version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="regenerate notebooks/ (student versions) from solutions/")
    gen.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                     help="e.g. 03_bn_forward (default: all)")

    chk = sub.add_parser("check", help="run a notebook with the hidden tests and score it")
    chk.add_argument("notebook", metavar="NOTEBOOK", help="path to a course notebook (.ipynb)")
    chk.add_argument("--json", action="store_true", help="print one JSON object")
    chk.add_argument("--timeout", type=int, default=300, help="seconds per cell (default 300)")
    chk.add_argument("--all", dest="every_cell", action="store_true",
                     help="run every cell, figures and training runs too (default: only the "
                          "cells the score depends on)")

    grd = sub.add_parser(
        "grade", help="grade a class: <student>/<assignment>/<assignment>.ipynb",
        description="Grade every submission in SUBMISSIONS_DIR: each notebook in its own "
                    "sandboxed kernel, the tests judged outside it. Writes the grades CSV, "
                    "feedback/<student>/<assignment>/<assignment>.html and "
                    "written-answers/<assignment>.html next to the CSV. Without "
                    "SUBMISSIONS_DIR: grades the bundled demo class (autograder/demo_class) "
                    "with --timeout 20 and compares with its expected grades. With --shard "
                    "K/N: grades only shard K of N of the students (sorted by name, cut into N "
                    "blocks) into shards/K-of-N/ next to the CSV; `merge` then writes the CSV "
                    "and feedback that grading everything at once would.")
    grd.add_argument("submissions", metavar="SUBMISSIONS_DIR", nargs="?",
                     help="folder of student folders (default: the bundled demo class)")
    grd.add_argument("--output", "-o", default=None,
                     help="grades CSV path (default grading/grades.csv; demo: "
                          "grading-demo/grades.csv); feedback goes next to it")
    grd.add_argument("--workers", "-j", type=int, default=None,
                     help="notebooks graded at once (default: cores, at most 4)")
    grd.add_argument("--timeout", type=float, default=None,
                     help="seconds per cell (default 300; demo class: 20)")
    grd.add_argument("--notebook-timeout", type=float, default=None,
                     help="seconds per notebook, kernel start included (default 1800)")
    grd.add_argument("--all", dest="every_cell", action="store_true",
                     help="run every cell of every notebook, figures and training runs too "
                          "(default: a selective run first, kept only at full marks; "
                          "otherwise the notebook is graded again with every cell)")
    grd.add_argument("--memory", type=int, default=4096, metavar="MB",
                     help="memory (address space) per kernel in MiB (default 4096)")
    grd.add_argument("--cpu-time", type=float, default=None, metavar="S",
                     help="CPU seconds each kernel process may use (default: the notebook "
                          "timeout)")
    grd.add_argument("--grader-memory", type=int, default=4096, metavar="MB",
                     help="memory (address space) of the grader process judging one notebook, "
                          "in MiB (default 4096)")
    grd.add_argument("--shard", metavar="K/N", default=None,
                     help="grade only shard K of N (K from 1 to N), into shards/K-of-N/ next "
                          "to the CSV; needs the grading key made beforehand (see `key`)")
    grd.add_argument("--key", metavar="PATH", default=None,
                     help="the grading key hidden seeds are drawn from (default: .grading-key "
                          "next to the CSV, made on first use; given or with --shard, it must "
                          "exist)")
    _gradebook_options(grd, "the course's, autograder/gradebook.db, where the Formgrader "
                            "and `nbgrader export` look; the demo class: gradebook.db next "
                            "to the CSV; a shard: none, its merge records the class")
    box = grd.add_mutually_exclusive_group()
    box.add_argument("--sandbox", dest="sandbox", action="store_true", default=None,
                     help="require the bubblewrap sandbox (fail if unavailable)")
    box.add_argument("--no-sandbox", dest="sandbox", action="store_false",
                     help="run kernels unsandboxed (trusted submissions only)")

    trn = sub.add_parser(
        "translations", help="keep the translations (translations/<lang>/*.po) up to date",
        description="update: bring the catalogues of LANG (default: every language in "
                    "translations/) up to date with the English of solutions/ and of the "
                    "navigation: new cells get empty entries, changed cells become fuzzy "
                    "(their old translation and English kept), removed ones obsolete. "
                    "status: how many cells of each catalogue are translated, out of date "
                    "and missing. Then `python -m autograder generate` writes the editions.")
    trn.add_argument("action", choices=["update", "status"])
    trn.add_argument("names", nargs="*", metavar="[LANG] [NAME ...]",
                     help="a language (ko) and catalogues: notebooks (04_bn_backward) or "
                          "`course` (default: every catalogue)")

    key = sub.add_parser("key", help="make a grading key (before grading in shards)",
                         description="Write a new grading key, the secret the hidden tests' "
                                     "seeds are drawn from, to PATH (mode 0600). Never "
                                     "overwrites a key.")
    key.add_argument("path", metavar="PATH", help="e.g. grading/.grading-key")

    mrg = sub.add_parser(
        "merge", help="merge the shards of `grade --shard K/N` into one grades CSV",
        description="Check that the shards make one class (each K of N once, the same "
                    "students, key and sandbox) and write the grades CSV, feedback/ and "
                    "written-answers/ that one `grade` run would have written, with the "
                    "hand-graded points from manual-scores.csv next to the CSV.")
    mrg.add_argument("shards", metavar="SHARD", nargs="*",
                     help="a shard's folder (or its grades.csv), or a folder of them "
                          "(default: shards/ next to the CSV)")
    mrg.add_argument("--output", "-o", default=None,
                     help="the merged grades CSV (default grading/grades.csv)")
    _gradebook_options(mrg, "the course's, autograder/gradebook.db")

    exp = sub.add_parser(
        "export", help="the grades CSV as a learning platform imports it (wide, Canvas)",
        description="Turn the grades CSV that `grade` writes (one row per student and "
                    "assignment) into one row per student: --format wide (a column per "
                    "assignment, the total and the points possible) or --format canvas "
                    "(Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, "
                    "Section, a column per assignment, a Points Possible row).")
    exp.add_argument("grades", metavar="GRADES_CSV", help="e.g. grading/grades.csv")
    exp.add_argument("--format", "-f", default="wide", choices=["wide", "canvas"],
                     help="wide (default) or canvas")
    exp.add_argument("--output", "-o", default=None,
                     help="where to write (default: grades-<format>.csv next to GRADES_CSV)")
    exp.add_argument("--points", default="total", choices=["total", "score"],
                     help="total: autograded plus hand-graded points (default); score: "
                          "autograded points only")
    exp.add_argument("--column", action="append", default=[], metavar="ASSIGNMENT=NAME",
                     help="canvas: the column name of an assignment as it is in Canvas, "
                          "e.g. '03_bn_forward=BN forward (1234)' (repeat for each; default: "
                          "the assignment's name)")
    exp.add_argument("--roster", metavar="CANVAS_EXPORT_CSV", default=None,
                     help="canvas: a gradebook export from the course in Canvas, to take "
                          "each student's ID, SIS User ID, SIS Login ID, name and section "
                          "from (matched by the folder name)")
    return parser


def _gradebook_options(parser, default: str) -> None:
    book = parser.add_mutually_exclusive_group()
    book.add_argument("--gradebook", metavar="PATH", default=None,
                      help="record the grades in this nbgrader gradebook (a .db file), the "
                           "autograded notebooks in autograded/ next to it (default: "
                           f"{default})")
    book.add_argument("--no-gradebook", dest="no_gradebook", action="store_true",
                      help="do not record the grades in an nbgrader gradebook")


def _target(args, demo: bool, output: Path, shard=None):
    """The gradebook the command line asks for (None: none)."""
    from .records.gradebook import course_target, target_for

    if args.no_gradebook:
        return None
    if shard is not None:
        if args.gradebook:
            raise ValueError("--gradebook with --shard: a shard does not write the gradebook; "
                             "give it to `merge`, which records the whole class once")
        return None
    if args.gradebook:
        return target_for(args.gradebook)
    if demo:
        return target_for(output.resolve().parent / "gradebook.db")
    return course_target()


def _grade(args, err) -> int:
    from .grading.grade import DEFAULT_OUTPUT, DEMO_EXPECTED, Settings, grade
    from .records.report import compare
    from .sharding.shards import parse

    demo = args.submissions is None
    if args.shard is not None and demo:
        raise ValueError("--shard needs SUBMISSIONS_DIR (the demo class is graded whole)")
    shard = parse(args.shard) if args.shard is not None else None
    settings = Settings(memory_mb=args.memory, sandbox=args.sandbox, cpu_seconds=args.cpu_time,
                        grader_memory_mb=args.grader_memory, every_cell=args.every_cell)
    if args.workers:
        settings.workers = args.workers
    settings.timeout = args.timeout or (20.0 if demo else settings.timeout)
    settings.notebook_timeout = args.notebook_timeout or (300.0 if demo else
                                                          settings.notebook_timeout)
    if demo:
        err("no SUBMISSIONS_DIR given: grading the bundled demo class (autograder/demo_class)")
    from .grading.grade import DEMO_OUTPUT

    target = _target(args, demo, Path(args.output or (DEMO_OUTPUT if demo else DEFAULT_OUTPUT)),
                     shard)
    outcome = grade(args.submissions, output=args.output, settings=settings, log=err,
                    key=args.key, shard=shard, gradebook=target)
    _print(outcome)
    if shard:
        final = Path(args.output or DEFAULT_OUTPUT)
        print(f"shard {shard.index} of {shard.count} done; once all {shard.count} are: "
              f"python -m autograder merge {final.parent / 'shards'} -o {final}")
    if demo:
        diffs = compare(outcome.rows, DEMO_EXPECTED)
        if not diffs:
            print(f"the demo class's grades match {DEMO_EXPECTED.relative_to(DEMO_EXPECTED.parents[1])}")
            return 0
        print(f"the demo class's grades differ from {DEMO_EXPECTED.name}"
              + (" (expected: they assume the sandbox is on)" if not outcome.sandboxed else "")
              + ":\n  " + "\n  ".join(diffs))
        return 1
    return 0


def _print(outcome) -> None:
    from .records.report import table

    print(table(outcome.rows))
    print()
    print(outcome.summary)
    folder = outcome.output.parent
    print(f"wrote {outcome.output}, {folder / 'feedback'}/ and the class report "
          f"{folder / 'class-report.html'} (for you, not for students)")
    if outcome.gradebook:
        print(outcome.gradebook)


def _merge(args, err) -> int:
    from .grading.grade import DEFAULT_OUTPUT
    from .sharding.merge import merge

    output = Path(args.output or DEFAULT_OUTPUT)
    _print(merge(args.shards, output, log=err, gradebook=_target(args, False, output)))
    return 0


def _export(args, err) -> int:
    from .records.export import export

    out = export(args.grades, args.format, args.output, args.points, args.column, args.roster,
                 log=err)
    print(f"wrote {out}")
    return 0


def _translations(args) -> int:
    from .course import translations as T
    from .paths import ROOT

    words = list(args.names)
    known = T.catalogues()
    lang = None
    if words and words[0] not in known:
        lang = words.pop(0)
        if not T.LANGUAGE_CODE.fullmatch(lang):
            raise ValueError(f"{lang!r} is neither a language code (ko, pt_BR) nor a catalogue "
                             f"({', '.join(known)})")
    unknown = [w for w in words if w not in known]
    if unknown:
        raise ValueError(f"no catalogue {', '.join(unknown)}: the catalogues are "
                         f"{', '.join(known)}")
    langs = [lang] if lang else T.languages()
    if not langs:
        raise ValueError("no language in translations/: name one, e.g. "
                         "`python -m autograder translations update ko`")
    if args.action == "status" and lang and lang not in T.languages():
        raise ValueError(f"no translations/{lang}/ (languages: {', '.join(T.languages())}); "
                         f"`translations update {lang}` starts it")
    names = words or known
    for code in langs:
        if args.action == "update":
            for name in names:
                n = T.update(code, name, T.texts_for(name))
                print(f"{T.catalog_path(code, name).relative_to(ROOT)}: {n['new']} new, "
                      f"{n['changed']} changed (fuzzy until revised), {n['removed']} removed, "
                      f"{n['kept']} kept")
            continue
        width = max(len(n) for n in names)
        print(f"{code}: {'catalogue':<{width}}  cells  translated  out of date  missing")
        total = {"cells": 0, "translated": 0, "outdated": 0, "missing": 0}
        for name in names:
            n = T.status(code, name, T.texts_for(name))
            total = {k: total[k] + n[k] for k in total}
            print(f"    {name:<{width}}  {n['cells']:5d}  {n['translated']:10d}  "
                  f"{n['outdated']:11d}  {n['missing']:7d}")
        print(f"    {'total':<{width}}  {total['cells']:5d}  {total['translated']:10d}  "
              f"{total['outdated']:11d}  {total['missing']:7d}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    err = lambda *a: print(*a, file=sys.stderr)  # noqa: E731 - progress goes to stderr
    try:
        if args.command == "generate":
            from .course.generate import generate

            generate(args.assignments, log=err)
        elif args.command == "check":
            from .selfstudy.check import check

            report = check(args.notebook, timeout=args.timeout, every_cell=args.every_cell)
            print(report.as_json() if args.json else report.as_table())
        elif args.command == "grade":
            return _grade(args, err)
        elif args.command == "translations":
            return _translations(args)
        elif args.command == "key":
            from .grading.keys import create

            create(Path(args.path))
            print(f"wrote a new grading key to {args.path} (keep it private, and with the "
                  "grades: grading again with it draws the same hidden seeds)")
        elif args.command == "merge":
            return _merge(args, err)
        elif args.command == "export":
            return _export(args, err)
    except (RuntimeError, ValueError, OSError) as exc:
        err(f"error: {exc}")
        return 2
    return 0
