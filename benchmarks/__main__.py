"""``python -m benchmarks [--repeat N] [--only SECTION ...] [--output PATH]``."""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from . import checking, grading, grading_floor, kernels, notebooks, startup, term
from .measure import ROOT, log, machine
from .report import markdown

SECTIONS = {"notebooks": notebooks, "check": checking, "floor": grading_floor,
            "grade": grading, "term": term, "kernels": kernels, "startup": startup}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure what the course costs a learner and an instructor, and write "
                    "a markdown report with every budget marked. Takes about an hour with "
                    "the default 3 runs; run it on an otherwise idle machine.")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (default 3)")
    parser.add_argument("--only", nargs="+", choices=list(SECTIONS), metavar="SECTION",
                        help=f"measure only these: {', '.join(SECTIONS)}")
    parser.add_argument("--output", "-o", default=str(ROOT / "benchmarks" / "REPORT.md"),
                        help="where to write the report (default benchmarks/REPORT.md)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.repeat < 1:
        print("error: --repeat must be at least 1", file=sys.stderr)
        return 2
    output = Path(args.output)
    if not output.parent.is_dir():
        print(f"error: {output.parent} is not a folder", file=sys.stderr)
        return 2
    started = time.perf_counter()
    rows, failures = [], {}
    for name in args.only or SECTIONS:
        runs = min(args.repeat, getattr(SECTIONS[name], "RUNS", args.repeat))
        log(f"{name} ({runs} run{'s' if runs != 1 else ''})")
        try:
            rows += SECTIONS[name].measure(args.repeat)
        except Exception as exc:  # one broken section must not lose the others' figures
            failures[name] = f"{type(exc).__name__}: {exc}"
            log(f"  {name} failed:\n" + traceback.format_exc())
    command = "make bench" if not argv and not args.only else "python -m benchmarks " + " ".join(
        argv if argv is not None else sys.argv[1:])
    text = markdown(rows, machine(), args.repeat, time.perf_counter() - started, failures,
                    command)
    output.write_text(text + "\n", encoding="utf-8")
    print(text)
    log(f"wrote {output}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
