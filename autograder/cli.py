"""``python -m autograder``: generate student notebooks, check one, grade a class."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autograder",
        description="Batch Normalization, from scratch: the course's grading tools.")
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="regenerate notebooks/ (student versions) from solutions/")
    gen.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                     help="e.g. 03_bn_forward (default: all)")

    chk = sub.add_parser("check", help="run a notebook with the hidden tests and score it")
    chk.add_argument("notebook", metavar="NOTEBOOK", help="path to a course notebook (.ipynb)")
    chk.add_argument("--json", action="store_true", help="print one JSON object")
    chk.add_argument("--timeout", type=int, default=300, help="seconds per cell (default 300)")

    grd = sub.add_parser("grade", help="autograde <student>/<assignment>/<notebook>.ipynb")
    grd.add_argument("submissions", metavar="SUBMISSIONS_DIR")
    grd.add_argument("--output", "-o", default="grades.csv", help="CSV path (default grades.csv)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    err = lambda *a: print(*a, file=sys.stderr)  # noqa: E731 - progress goes to stderr
    try:
        if args.command == "generate":
            from .generate import generate

            generate(args.assignments, log=err)
        elif args.command == "check":
            from .check import check

            report = check(args.notebook, timeout=args.timeout)
            print(report.as_json() if args.json else report.as_table())
        elif args.command == "grade":
            from .grade import grade

            rows = grade(args.submissions, output=args.output, log=err)
            for r in rows:
                err(f"{r.student:<20} {r.assignment:<36} {r.score!s:>6} / {r.max_score!s:<6} {r.status}")
            err(f"wrote {Path(args.output)} ({len(rows)} rows)")
    except (RuntimeError, ValueError, OSError) as exc:
        err(f"error: {exc}")
        return 2
    return 0
