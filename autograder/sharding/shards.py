"""Grading past one machine: a class cut into N shards, graded apart, merged as one run.

A shard is a contiguous block of the students, sorted by name as ``collect`` finds them;
all of a student's assignments are in the same shard. Shard K of N (K counts from 1) gets
students ``[(K-1)*S//N, K*S//N)`` of S: the blocks cover everyone once and their sizes
differ by at most one. Every shard reads the same grading key, so each notebook gets the
hidden seeds it would get in one run (``keys``).

``grade --shard K/N -o grading/grades.csv`` writes into ``grading/shards/K-of-N/`` what one
run over its students would write there, and last ``shard.json``, the record ``merge``
reads: which shard, the whole class as the shard saw it, the key's fingerprint (never the
key), the fingerprint of the checkout it graded from (``checkout``), whether the sandbox
was on, the limits it graded with, and every submission as ``results.Graded`` (its row with
the notes as a list, its page's body, its written answers).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..grading import keys
from ..records import results

MANIFEST = "shard.json"
FORMAT = 2
#: what a grade depends on besides the submissions: the tests and model answers, the
#: released notebooks (visible tests, which cells a selective run may skip), the checks
#: and references, and the grader itself (every module of every subpackage)
CHECKOUT = (("solutions", "*"), ("notebooks", "*"), ("course_utils", "*"),
            ("autograder", "**/*.py"))
_SPEC = re.compile(r"([0-9]+)/([0-9]+)")


@dataclass(frozen=True)
class Shard:
    index: int  # K, from 1
    count: int  # N

    @property
    def name(self) -> str:
        return f"{self.index}-of-{self.count}"

    def students(self, everyone: list[str]) -> list[str]:
        """This shard's block of the class (``everyone``, in any order)."""
        everyone = sorted(everyone)
        n = len(everyone)
        return everyone[(self.index - 1) * n // self.count:self.index * n // self.count]


def parse(text: str) -> Shard:
    """``"K/N"`` -> Shard(K, N), 1 <= K <= N; anything else is a ValueError that says why."""
    found = _SPEC.fullmatch(text.strip())
    if not found:
        raise ValueError(f"--shard {text!r}: expected K/N, shard K of N counting from 1 "
                         "(e.g. --shard 2/4)")
    k, n = int(found[1]), int(found[2])
    if n < 1:
        raise ValueError(f"--shard {text}: N, the number of shards, must be at least 1")
    if k == 0:
        raise ValueError(f"--shard {text}: K counts from 1 to {n}. An index that counts from "
                         "0 (Kubernetes' JOB_COMPLETION_INDEX) needs 1 added: "
                         f"--shard $((JOB_COMPLETION_INDEX + 1))/{n}")
    if k > n:
        raise ValueError(f"--shard {text}: K must be between 1 and {n}")
    return Shard(k, n)


def folder(out_dir: Path, shard: Shard) -> Path:
    """Where shard K of N of a grading into ``out_dir`` writes: ``out_dir/shards/K-of-N``."""
    return out_dir / "shards" / shard.name


def checkout(root: Path | None = None) -> str:
    """A fingerprint of the course files a grade depends on (``CHECKOUT``): two checkouts
    with the same one grade alike. Caches and hidden files are left out."""
    root = Path(root or paths.ROOT)
    digest = hashlib.sha256(b"bn-from-scratch checkout\0")
    for folder, pattern in CHECKOUT:
        base = root / folder
        files = base.rglob(pattern) if pattern == "*" else base.glob(pattern)
        for path in sorted(p for p in files if p.is_file()):
            parts = path.relative_to(root).parts
            if any(part.startswith(".") or part == "__pycache__" for part in parts) \
                    or path.suffix == ".pyc":
                continue
            digest.update("/".join(parts).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


@dataclass
class Manifest:
    """A finished shard, as ``merge`` reads it back."""

    folder: Path
    shard: Shard
    students: list[str]          # the whole class, sorted
    ignored: list[str]           # top-level entries that are not student folders
    key: str                     # keys.fingerprint of the key it was graded with
    checkout: str                # the course files it graded with (``checkout``)
    sandbox: bool
    sandbox_message: str
    limits: dict                 # the time and memory limits it graded with
    seconds: float
    graded: list[results.Graded]


def write_manifest(shard: Shard, out: Path, everyone: list[str], ignored: list[str],
                   key: bytes, status, limits: dict, seconds: float,
                   graded: list[results.Graded]) -> None:
    """Write ``out/shard.json`` all at once (a shard that stopped half way has none)."""
    data = {"format": FORMAT, "shard": shard.index, "of": shard.count,
            "students": sorted(everyone), "ignored": list(ignored),
            "key": keys.fingerprint(key), "checkout": checkout(),
            "sandbox": bool(status.enabled),
            "sandbox_message": status.message, "limits": limits,
            "seconds": round(seconds, 1),
            "graded": [g.to_json() for g in graded]}
    partial = out / f".{MANIFEST}.partial"
    partial.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.replace(partial, out / MANIFEST)


def read_manifest(out: Path) -> Manifest:
    path = out / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, this grader reads {FORMAT}")
        return Manifest(out, Shard(int(data["shard"]), int(data["of"])), data["students"],
                        data["ignored"], data["key"], data["checkout"], data["sandbox"],
                        data["sandbox_message"],
                        data["limits"], data["seconds"],
                        [results.Graded.from_json(g, out) for g in data["graded"]])
    except FileNotFoundError:
        raise FileNotFoundError(f"{out} holds no {MANIFEST}: not a shard's folder, or its "
                                "shard has not finished") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path} cannot be read ({type(exc).__name__}: {exc}): was it "
                         "written by `python -m autograder grade --shard`?") from None
