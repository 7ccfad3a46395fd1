"""Read a submission without following a link out of it: regular files only, reads bounded.

The grader reads submissions on the host, before any sandbox exists, with the instructor's
rights. A symbolic link in a submission (the notebook, the student's or the assignment's
folder, a file beside the notebook, anything in the folder copied for the kernel) could
point at ``solutions/``, a classmate's work, the grading key or ``/etc/shadow``; a FIFO or
a device could block or never end. So every path inside the submissions folder is opened
one component at a time from the folder itself, each with ``O_NOFOLLOW`` (a link makes the
open fail), and only regular files are read, never more than a stated number of bytes.

:class:`Unsafe` says what was refused and why, for the submission's row.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path, PurePosixPath

#: what one submission's folder copied for the kernel may hold at most
MAX_FOLDER_FILES = 2000
MAX_FOLDER_BYTES = 256 * 2**20
MAX_DEPTH = 16


class Unsafe(Exception):
    """A path in a submission that is not followed or not read: a link, a special file,
    or too large. ``status`` is the row's status, ``str()`` the note."""

    def __init__(self, message: str, status: str = "link or special file"):
        super().__init__(message)
        self.status = status


def kind(st: os.stat_result) -> str:
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISREG(mode):
        return "file"
    return {stat.S_IFIFO: "FIFO", stat.S_IFSOCK: "socket", stat.S_IFCHR: "device",
            stat.S_IFBLK: "device"}.get(stat.S_IFMT(mode), "special file")


def refusal(rel: str, what: str) -> Unsafe:
    if what == "link":
        return Unsafe(f"{rel} is a symbolic link: links in a submission are never followed "
                      "(submit the file itself)")
    return Unsafe(f"{rel} is a {what}, not a regular file: it was not read")


def _parts(root: Path, path: Path) -> list[str]:
    rel = PurePosixPath(os.path.relpath(path, root)) if Path(path).is_absolute() else \
        PurePosixPath(path)
    parts = [p for p in rel.parts if p not in ("", ".")]
    if not parts or ".." in parts:
        raise Unsafe(f"{rel} is not inside the submissions folder")
    return parts


def _open_dir(root: Path) -> int:
    return os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)


def _open_at(dir_fd: int, name: str, rel: str, *, folder: bool) -> int:
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    if folder:
        flags |= os.O_DIRECTORY
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        raise
    what = kind(st)
    if what != ("folder" if folder else "file"):
        if what in ("folder", "file"):
            raise Unsafe(f"{rel} is a {what} where a {'folder' if folder else 'file'} was "
                         "expected", "missing notebook")
        raise refusal(rel, what)
    try:
        fd = os.open(name, flags, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK, errno.ENOTDIR):
            raise refusal(rel, "link") from None
        raise
    now = os.fstat(fd)
    if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):  # replaced in between
        os.close(fd)
        raise Unsafe(f"{rel} changed while it was being read")
    return fd


def open_inside(root: Path, path: Path, *, folder: bool = False) -> int:
    """A file descriptor for ``path`` (absolute, or relative to ``root``), opened from
    ``root`` one component at a time without following any link."""
    parts = _parts(root, path)
    fd = _open_dir(root)
    try:
        for i, name in enumerate(parts):
            last = i == len(parts) - 1
            rel = "/".join(parts[:i + 1])
            child = _open_at(fd, name, rel, folder=folder or not last)
            os.close(fd)
            fd = child
        return fd
    except BaseException:
        os.close(fd)
        raise


def read_bytes(root: Path, path: Path, limit: int, what: str = "file") -> bytes:
    """The bytes of the regular file ``path`` inside ``root``: at most ``limit`` of them, or
    :class:`Unsafe` (status "too large") when it holds more."""
    fd = open_inside(root, path)
    try:
        size = os.fstat(fd).st_size
        if size > limit:
            raise Unsafe(f"{_rel(root, path)} is {size / 2**20:.1f} MiB: larger than the "
                         f"{limit / 2**20:g} MiB a {what} may be", "too large")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise Unsafe(f"{_rel(root, path)} is larger than the {limit / 2**20:g} MiB "
                             f"a {what} may be", "too large")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _rel(root: Path, path: Path) -> str:
    return "/".join(_parts(root, path))


def entries(root: Path, folder: Path) -> list[tuple[str, str]]:
    """``(name, kind)`` of each entry of ``folder`` inside ``root`` (or of ``root`` itself
    when ``folder == root``), sorted by name; kinds as :func:`kind` names them, never
    following a link."""
    fd = _open_dir(root) if Path(folder) == Path(root) else open_inside(root, folder, folder=True)
    try:
        out = []
        with os.scandir(fd) as it:
            for entry in it:
                try:
                    out.append((entry.name, kind(entry.stat(follow_symlinks=False))))
                except OSError:
                    out.append((entry.name, "special file"))
        return sorted(out)
    finally:
        os.close(fd)


def problem_in_tree(root: Path, folder: Path, *, limit_files: int = MAX_FOLDER_FILES,
                    limit_bytes: int = MAX_FOLDER_BYTES) -> Unsafe | None:
    """The first link or special file anywhere under ``folder`` (hidden entries included),
    or a folder larger than the limits; None when it holds only folders and regular files."""
    files = total = 0
    todo = [(Path(folder), 0)]
    while todo:
        here, depth = todo.pop()
        if depth > MAX_DEPTH:
            return Unsafe(f"{_rel(root, here)} is nested more than {MAX_DEPTH} folders deep",
                          "too large")
        fd = open_inside(root, here, folder=True)
        try:
            with os.scandir(fd) as it:
                listed = sorted((e.name, e.stat(follow_symlinks=False)) for e in it)
        finally:
            os.close(fd)
        for name, st in listed:
            what = kind(st)
            rel = f"{_rel(root, here)}/{name}"
            if what == "folder":
                todo.append((here / name, depth + 1))
            elif what == "file":
                files += 1
                total += st.st_size
            else:
                return refusal(rel, what)
        if files > limit_files or total > limit_bytes:
            return Unsafe(f"{_rel(root, folder)} holds more than {limit_files} files or "
                          f"{limit_bytes / 2**20:g} MiB", "too large")
    return None


def copy_tree(root: Path, folder: Path, dest: Path, skip) -> str:
    """Copy the regular files under ``folder`` (inside ``root``) to ``dest``, never following
    a link (one found is an :class:`Unsafe`); ``skip(name)`` leaves entries out. Files get
    mode 0644 and folders 0755 (nothing else of the original is kept). Returns a digest of
    what was copied (relative paths and contents), for the hidden seeds."""
    digest = hashlib.sha256()
    dest.mkdir(parents=True, exist_ok=True)
    files = total = 0
    todo = [(Path(folder), dest, 0)]
    while todo:
        here, there, depth = todo.pop()
        if depth > MAX_DEPTH:
            raise Unsafe(f"{_rel(root, here)} is nested too deep", "too large")
        for name, what in entries(root, here):
            if skip(name):
                continue
            rel = f"{_rel(root, here)}/{name}"
            if what == "folder":
                (there / name).mkdir(mode=0o755)
                todo.append((here / name, there / name, depth + 1))
                continue
            if what != "file":
                raise refusal(rel, what)
            data = read_bytes(root, here / name, MAX_FOLDER_BYTES - total)
            files += 1
            total += len(data)
            if files > MAX_FOLDER_FILES:
                raise Unsafe(f"{_rel(root, folder)} holds more than {MAX_FOLDER_FILES} files",
                             "too large")
            target = there / name
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            relative = os.path.relpath(target, dest)
            digest.update(f"{len(relative)}:{relative}:{len(data)}:".encode())
            digest.update(data)
    return digest.hexdigest()
