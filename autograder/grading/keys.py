"""The grading key: the secret the hidden tests' fresh seeds are drawn from.

A seed left to chance (``seed=None``) is drawn from an HMAC of the key and the cell's label,
``<student>/<assignment>/<grade_id>/<digest>`` (``replay.secret_seeds``), the digest being
that of the submission's code cells and files (``worker.submission_digest``): with the same
key, the same submission gets the same hidden inputs whenever, wherever and alongside
whichever others it is graded, and a changed one gets new ones. So re-grading is
repeatable, a student cannot resubmit answers for the seed their feedback showed, and a
class cut into shards graded on several machines is graded exactly as in one run, provided
every shard reads the same key.

A key is 32 random bytes, written as hex in a file only its owner can read (mode 0600). It
is never overwritten: grades made with it would no longer reproduce.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

FILE_NAME = ".grading-key"
MIN_BYTES = 16


def create(path: Path) -> bytes:
    """Write a new key at ``path``; refuse if a file is already there."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise FileExistsError(
            f"{path} already exists; a grading key is never overwritten (grades made with it "
            "would no longer reproduce). To draw new hidden seeds, delete it yourself "
            "first.") from None
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    return load(path)


def load(path: Path) -> bytes:
    """The key in ``path``, checked to be one that ``create`` could have made."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no grading key at {path}: make one with "
                                f"`python -m autograder key {path}`")
    text = path.read_text(encoding="utf-8", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < MIN_BYTES:
        raise ValueError(f"{path} is not a grading key (expected at least {2 * MIN_BYTES} hex "
                         "digits, as `python -m autograder key` writes)")
    return key


def for_folder(folder: Path) -> bytes:
    """The key of one output folder (``<folder>/.grading-key``), made on first use."""
    path = Path(folder) / FILE_NAME
    try:
        return create(path)
    except FileExistsError:
        return load(path)


def fingerprint(key: bytes) -> str:
    """A short name for the key, safe to write anywhere: tells keys apart, reveals nothing."""
    return hashlib.sha256(b"bn-from-scratch grading key fingerprint\0" + key).hexdigest()[:16]
