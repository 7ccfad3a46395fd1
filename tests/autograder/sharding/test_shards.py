"""Does grading a class in shards, then merging them, write exactly what one run writes?

The expensive test grades the demo class (``autograder/demo_class``) as 2 shards started
side by side, with the demo run's key, and merges them; every file must be the same, byte
for byte, as the demo run wrote (``demo_run`` in tests/conftest.py: one run of the same
class, graded once per session for the demo's own tests). The instructor's points in
``manual-scores.csv`` are part of it: the merged folder is filled in and merged again, which
must write for the students concerned what grading them with the points already filled in
writes.

The rest is fast: how a class is cut, what ``--shard`` accepts, the key, and each way a
merge must refuse shards that do not make one class (on a small class whose submissions
need no kernel: folders that cannot be graded).
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder import cli, demo, paths
from autograder.grading import keys
from autograder.verdicts import replay
from autograder.records import results
from autograder.sharding import shards
from autograder.grading.grade import DEMO_CLASS, Settings, grade
from autograder.sharding.merge import merge
from autograder.sharding.shards import Shard

A = demo.ASSIGNMENT
#: what the demo run uses; and no gradebook: given a class, grade and merge record into the
#: course's (autograder/gradebook.db), which a test must leave alone (tests/test_gradebook.py
#: covers the recording)
DEMO_ARGS = ["--timeout", "20", "--notebook-timeout", "300", "--no-gradebook"]
#: the instructor's points, filled in for both runs (a word where a number belongs included)
POINTS = {("all-right", "q_batch_dependence"): "1", ("all-right", "q_identity"): "0.5",
          ("half-right", "q_identity"): "one", ("notebook-renamed", "q_batch_dependence"): "1"}


def _autograder(*args, cwd: Path, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "autograder", *map(str, args)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def _finish(proc, name: str) -> subprocess.CompletedProcess:
    out, err = proc.communicate(timeout=1800)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    assert done.returncode == 0, f"{name}: {done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file a grading leaves in ``folder``, but the shards' folders and the key."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "shards" not in p.relative_to(folder).parts
            and p.name != keys.FILE_NAME}


def _differing(a: dict, b: dict) -> list[str]:
    return sorted(p for p in set(a) | set(b) if a.get(p) != b.get(p))


def _fill_points(path: Path, points: dict) -> None:
    """What an instructor does: write points into manual-scores.csv (made if missing)."""
    lines = {}
    if path.exists():
        with open(path, newline="", encoding="utf-8") as f:
            lines = {(r["student"], r["question"]): r for r in csv.DictReader(f)}
    max_points = dict((q, f"{p:g}") for q, p in results.questions_of(A))
    for (student, question), value in points.items():
        lines.setdefault((student, question), {
            "student": student, "assignment": A, "question": question,
            "max_points": max_points[question]})["points"] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["student", "assignment", "question",
                                               "max_points", "points"])
        writer.writeheader()
        writer.writerows(lines[k] for k in sorted(lines))


def _students() -> list[str]:
    """The demo class's students (as collect finds them: hidden folders are not students)."""
    return sorted(p.name for p in DEMO_CLASS.iterdir()
                  if p.is_dir() and not p.name.startswith((".", "__")))


def _rows(path: Path) -> dict:
    return _rows_of(path.read_bytes())


def _rows_of(data: bytes) -> dict:
    """A grades CSV's rows by student."""
    return {r["student"]: r for r in csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))}


#: what the demo command writes that a class graded without a gradebook does not: the
#: gradebook and nbgrader's autograded/ folder beside it (tests/test_gradebook.py covers them)
DEMO_ONLY = ("gradebook.db", "autograded/")


@pytest.fixture(scope="module")
def demo_shards(demo_run, tmp_path_factory):
    """The demo class as 2 shards, with the demo run's key, merged into sharded/; merged
    again once the instructor's points are filled in. The one run to compare with is the
    demo run itself (``demo_run`` in conftest.py, graded once per session), and for the
    points, the students they are for graded once with the points already filled in."""
    cwd = tmp_path_factory.mktemp("shards")
    one, two, points = demo_run["out"], cwd / "sharded", cwd / "points"
    key = one / keys.FILE_NAME
    started = time.monotonic()
    runs = [_autograder("grade", DEMO_CLASS, "-o", two / "grades.csv", "--shard", f"{k}/2",
                        "--key", key, "--workers", "1", *DEMO_ARGS, cwd=cwd) for k in (1, 2)]
    done = [_finish(p, f"shard {k}") for k, p in zip((1, 2), runs)]
    sharded = time.monotonic() - started
    _finish(_autograder("merge", two / "shards", "-o", two / "grades.csv", "--no-gradebook",
                        cwd=cwd), "merge")
    first_merge = _tree(two)
    _fill_points(two / "manual-scores.csv", POINTS)
    merged = _finish(_autograder("merge", two / "shards" / "1-of-2",
                                 two / "shards" / "2-of-2" / "grades.csv",
                                 "-o", two / "grades.csv", "--no-gradebook", cwd=cwd),
                     "merge again")
    with_points = cwd / "class-with-points"
    for student in sorted({s for s, _ in POINTS}):
        shutil.copytree(DEMO_CLASS / student, with_points / student)
    _fill_points(points / "manual-scores.csv", POINTS)
    _finish(_autograder("grade", with_points, "-o", points / "grades.csv", "--key", key,
                        "--workers", "2", *DEMO_ARGS, cwd=cwd), "points filled in first")
    print(f"\ndemo class: 2 shards side by side (1 worker each) {sharded:.1f} s")
    return {"one": one, "two": two, "points": points, "key": key, "shards": done,
            "merged": merged, "first_merge": first_merge}


def test_shards_merged_write_the_same_files_as_one_run(demo_shards):
    """Are grades.csv, manual-scores.csv, every feedback file and written-answers page the
    same bytes, whether the class was graded at once (the demo run) or as 2 shards merged?"""
    one = {p: b for p, b in _tree(demo_shards["one"]).items() if not p.startswith(DEMO_ONLY)}
    two = demo_shards["first_merge"]
    pages = [p for p in one if p.startswith("feedback/") and p.endswith(".html")]
    assert len(pages) == len(_students()) == len(_rows(demo_shards["one"] / "grades.csv"))
    assert f"written-answers/{A}.html" in one
    assert "manual-scores.csv" in one and "grades.csv" in one
    assert one["grades.csv"] == two["grades.csv"]
    assert not _differing(one, two), f"differ: {_differing(one, two)}"


def _lines_of(text: bytes, students) -> list[bytes]:
    return [line for line in text.splitlines()
            if line.split(b",", 1)[0].decode() in students]


def test_merging_again_adds_the_points_filled_in_since(demo_shards):
    """Does a merge read the final folder's manual-scores.csv, as grading again would?

    The students the points are for, graded with the points already filled in, get the same
    rows, the same lines of manual-scores.csv and the same feedback files, byte for byte, as
    the class merged once, then filled in and merged again."""
    before = _rows_of(demo_shards["first_merge"]["grades.csv"])
    after = _rows(demo_shards["two"] / "grades.csv")
    assert all(r["manual_score"] == "" for r in before.values())
    by_student: dict[str, list[float]] = {}
    for (student, _), value in POINTS.items():
        if value.replace(".", "", 1).isdigit():
            by_student.setdefault(student, []).append(float(value))
    for student, got in by_student.items():
        row = after[student]
        assert float(row["manual_score"]) == sum(got), row
        assert float(row["total"]) == float(row["score"]) + sum(got), row
    assert "'one' for q_identity is not a number" in after["half-right"]["notes"]
    page = demo_shards["two"] / "feedback" / "half-right" / A / f"{A}.html"
    assert "is not a number" in page.read_text()
    assert "merge reads only" not in demo_shards["merged"].stderr  # shards' files untouched

    students = {s for s, _ in POINTS}
    graded, merged = _tree(demo_shards["points"]), _tree(demo_shards["two"])
    assert _rows(demo_shards["points"] / "grades.csv") == {s: after[s] for s in students}
    for name in ("grades.csv", "manual-scores.csv"):
        assert _lines_of(graded[name], students) == _lines_of(merged[name], students), name
    pages = [p for p in graded if p.startswith("feedback/")]
    assert len(pages) >= len(students)
    assert [p for p in pages if graded[p] != merged.get(p)] == []


def test_each_shard_records_its_block_and_never_the_key(demo_shards):
    """Did each shard grade its contiguous block, see the whole class, and keep the key out?"""
    everyone = _students()
    secret = keys.load(demo_shards["key"]).hex()
    seen = []
    for k in (1, 2):
        folder = demo_shards["two"] / "shards" / f"{k}-of-2"
        text = (folder / shards.MANIFEST).read_text()
        assert secret not in text
        manifest = shards.read_manifest(folder)
        assert manifest.students == everyone
        mine = sorted({g.row.student for g in manifest.graded})
        assert mine == Shard(k, 2).students(everyone)
        seen += mine
    assert seen == everyone
    assert "merge" in demo_shards["shards"][0].stdout  # each says what to run next


# --- how a class is cut -----------------------------------------------------------------

names = st.lists(st.text("abcdefghij-_0123456789", min_size=1, max_size=8), unique=True,
                 max_size=60)


@settings(deadline=None, max_examples=300)
@given(names, st.integers(1, 12), st.randoms(use_true_random=False))
def test_shards_cover_the_class_once_in_balanced_contiguous_blocks(students, count, rnd):
    """Is every student in exactly one shard, blocks in name order, sizes within one,
    whatever order the names come in?"""
    blocks = [Shard(k, count).students(students) for k in range(1, count + 1)]
    assert [s for block in blocks for s in block] == sorted(students)
    sizes = [len(b) for b in blocks]
    assert max(sizes) - min(sizes) <= 1
    shuffled = list(students)
    rnd.shuffle(shuffled)
    assert [Shard(k, count).students(shuffled) for k in range(1, count + 1)] == blocks


@pytest.mark.parametrize("text, k, n", [("1/1", 1, 1), ("2/4", 2, 4), (" 4/4 ", 4, 4),
                                        ("10/12", 10, 12)])
def test_a_shard_is_written_k_of_n(text, k, n):
    assert shards.parse(text) == Shard(k, n) and Shard(k, n).name == f"{k}-of-{n}"


@pytest.mark.parametrize("text, reason", [
    ("0/2", "K counts from 1 to 2"), ("3/2", "between 1 and 2"), ("1/0", "at least 1"),
    ("a/b", "expected K/N"), ("2", "expected K/N"), ("", "expected K/N"),
    ("-1/2", "expected K/N"), ("1/2/3", "expected K/N"), ("1 / 2", "expected K/N"),
    ("٢/٤", "expected K/N")])
def test_a_bad_shard_is_refused_with_the_reason(text, reason):
    with pytest.raises(ValueError, match=reason):
        shards.parse(text)


def test_a_bad_shard_on_the_command_line_is_an_error_not_a_traceback(tmp_path, capsys):
    """Does `grade --shard 0/2` exit 2 with a message that says how to count?"""
    assert cli.main(["grade", str(tmp_path), "--shard", "0/2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --shard 0/2: K counts from 1") and "Traceback" not in err
    assert "$((JOB_COMPLETION_INDEX + 1))/2" in err


def test_hidden_seeds_depend_only_on_the_key_and_the_cell():
    """Is a cell's seed the same whatever was graded before it (so shards draw as one run)?"""
    def draws(key, label, n=3):
        with replay.secret_seeds(key, label):
            return [secrets.randbelow(2**31 - 1) for _ in range(n)]

    key = bytes(range(32))
    alone = draws(key, f"bob/{A}/batchnorm_forward_tests")
    draws(key, f"ann/{A}/batchnorm_forward_tests", 5)
    assert draws(key, f"bob/{A}/batchnorm_forward_tests") == alone
    assert draws(key, f"ann/{A}/batchnorm_forward_tests") != alone
    assert draws(bytes(32), f"bob/{A}/batchnorm_forward_tests") != alone


# --- the key ----------------------------------------------------------------------------

def test_the_key_command_makes_a_private_key_and_never_overwrites_it(tmp_path, capsys):
    path = tmp_path / "grading" / keys.FILE_NAME
    assert cli.main(["key", str(path)]) == 0
    made = path.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(keys.load(path)) == 32
    assert cli.main(["key", str(path)]) == 2
    assert "never overwritten" in capsys.readouterr().err and path.read_bytes() == made


def test_a_shard_without_the_key_says_how_to_make_it(tmp_path, capsys):
    """Do shards refuse to start without a key (each would make its own)?"""
    out = tmp_path / "grading" / "grades.csv"
    assert cli.main(["grade", str(_small_class(tmp_path)), "-o", str(out), "--shard", "1/2"]) == 2
    err = capsys.readouterr().err
    assert f"python -m autograder key {out.parent / keys.FILE_NAME}" in err
    assert not out.parent.exists()


def test_a_file_that_is_not_a_key_is_refused(tmp_path, capsys):
    bad = tmp_path / "key"
    bad.write_text("not a key\n")
    out = tmp_path / "grading" / "grades.csv"
    assert cli.main(["grade", str(_small_class(tmp_path)), "-o", str(out), "--key", str(bad)]) == 2
    assert "is not a grading key" in capsys.readouterr().err


# --- merging a small class that needs no kernel ------------------------------------------

def _small_class(root: Path, extra: str | None = None) -> Path:
    """Students whose folders cannot be graded, one way or another (fast: no kernel)."""
    folder = root / "class"
    for student in ["ann", "bob", "cat", "dan", "eve"] + ([extra] if extra else []):
        (folder / student).mkdir(parents=True, exist_ok=True)
    (folder / "ann" / "00_not_an_assignment").mkdir(exist_ok=True)
    (folder / "bob" / A).mkdir(exist_ok=True)
    (folder / "cat" / A).mkdir(exist_ok=True)
    (folder / "cat" / A / f"{A}.ipynb").write_text("{ cut short")
    (folder / "eve" / "notes").mkdir(exist_ok=True)
    (folder / "README.txt").write_text("not a student")
    return folder


def _grade_small(root: Path, out: Path, shard: Shard | None, key: Path, extra=None):
    return grade(_small_class(root, extra), out / "grades.csv", Settings(workers=1, sandbox=False),
                 log=lambda *a: None, key=key, shard=shard)


@pytest.fixture
def small(tmp_path):
    """A small class graded once into one/, and as 3 shards into sharded/shards/."""
    key = tmp_path / "key"
    keys.create(key)
    _grade_small(tmp_path, tmp_path / "one", None, key)
    for k in (1, 2, 3):
        _grade_small(tmp_path, tmp_path / "sharded", Shard(k, 3), key)
    return {"root": tmp_path, "key": key, "one": tmp_path / "one",
            "out": tmp_path / "sharded" / "grades.csv",
            "shard": lambda k: tmp_path / "sharded" / "shards" / f"{k}-of-3"}


@pytest.mark.parametrize("count", [1, 3, 7])
def test_a_small_class_merged_matches_one_run(tmp_path, count):
    """Blocks of 5 students into 1, 3 (uneven) and 7 shards (two of them empty)."""
    key = tmp_path / "key"
    keys.create(key)
    _grade_small(tmp_path, tmp_path / "one", None, key)
    for k in range(1, count + 1):
        _grade_small(tmp_path, tmp_path / "sharded", Shard(k, count), key)
    outcome = merge([], tmp_path / "sharded" / "grades.csv", log=lambda *a: None)
    assert len(outcome.rows) == 5 and "ignored (not student folders): README.txt" in outcome.summary
    one, two = _tree(tmp_path / "one"), _tree(tmp_path / "sharded")
    assert {"class-report.html", "class-report.csv"} <= set(one)  # merged as one run writes it
    assert len(one) == 6 + 2 and not _differing(one, two), _differing(one, two)


def test_a_missing_shard_is_named(small, capsys):
    assert cli.main(["merge", str(small["shard"](1)), str(small["shard"](3)),
                     "-o", str(small["out"])]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: shard(s) 2 of 3 missing") and "--shard K/3" in err
    assert not small["out"].exists()


def test_a_shard_that_has_not_finished_counts_as_missing(small):
    (small["shard"](2) / shards.MANIFEST).unlink()
    with pytest.raises(ValueError, match="shard.s. 2 of 3 missing"):
        merge([small["shard"](1).parent], small["out"])
    with pytest.raises(FileNotFoundError, match="no shard.json in it .* has not finished"):
        merge([small["shard"](2)], small["out"])


def test_a_shard_given_twice_is_refused(small, tmp_path):
    copy = tmp_path / "elsewhere" / "1-of-3"
    shutil.copytree(small["shard"](1), copy)
    with pytest.raises(ValueError, match="shard 1 of 3 is given twice"):
        merge([small["shard"](1).parent, copy], small["out"])


def test_shards_cut_differently_are_refused(small, tmp_path):
    _grade_small(tmp_path, tmp_path / "other", Shard(2, 2), small["key"])
    with pytest.raises(ValueError, match=r"cut differently \(N = 2, 3\)"):
        merge([small["shard"](1).parent, tmp_path / "other" / "shards"], small["out"])


def test_a_shard_graded_with_another_key_is_refused(small, tmp_path):
    other = tmp_path / "other-key"
    keys.create(other)
    shutil.rmtree(small["shard"](2))
    _grade_small(tmp_path, tmp_path / "sharded", Shard(2, 3), other)
    with pytest.raises(ValueError, match="2-of-3 .* another grading key than shard 1-of-3"):
        merge([], small["out"])


def test_a_shard_of_another_class_is_refused(small, tmp_path):
    _grade_small(tmp_path, tmp_path / "sharded", Shard(3, 3), small["key"], extra="zed")
    with pytest.raises(ValueError, match="another class .*students in one only: zed"):
        merge([], small["out"])


def test_a_shard_graded_with_other_limits_is_refused(small, tmp_path):
    shutil.rmtree(small["shard"](3))
    grade(_small_class(tmp_path), small["out"], Settings(workers=1, sandbox=False, timeout=60),
          log=lambda *a: None, key=small["key"], shard=Shard(3, 3))
    with pytest.raises(ValueError, match=r"3-of-3 .* other limits .*timeout 60 \(not 300"):
        merge([], small["out"])


def test_a_shard_graded_from_another_checkout_is_refused(small):
    """Does the merge refuse a shard whose solutions/, course_utils or grader differed?"""
    path = small["shard"](2) / shards.MANIFEST
    data = json.loads(path.read_text())
    assert data["checkout"] == shards.checkout()
    data["checkout"] = "0" * 16
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="2-of-3 .* another checkout of the course than shard "
                                         "1-of-3 .*same commit"):
        merge([], small["out"])


def test_the_checkout_fingerprint_follows_every_file_a_grade_depends_on(tmp_path):
    """Does changing a hidden test, a check, a released notebook or the grader change the
    fingerprint, while caches and checkpoints leave it alone?"""
    root = tmp_path / "course"
    for folder, _ in shards.CHECKOUT:
        shutil.copytree(paths.ROOT / folder, root / folder,
                        ignore=shutil.ignore_patterns("__pycache__", ".*", "demo_class"))
    same = shards.checkout(root)
    assert same == shards.checkout(paths.ROOT)
    (root / "course_utils" / "__pycache__").mkdir(exist_ok=True)
    (root / "course_utils" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"cache")
    (root / "notebooks" / ".ipynb_checkpoints").mkdir(exist_ok=True)
    (root / "notebooks" / ".ipynb_checkpoints" / "x.ipynb").write_text("{}")
    assert shards.checkout(root) == same
    for changed in (f"solutions/{A}/{A}.ipynb", f"notebooks/{A}/{A}.ipynb",
                    "course_utils/checks/_core/__init__.py", "autograder/verdicts/replay.py"):
        original = (root / changed).read_bytes()
        (root / changed).write_bytes(original + b" ")
        assert shards.checkout(root) != same, changed
        (root / changed).write_bytes(original)
    assert shards.checkout(root) == same


def test_shards_with_and_without_the_sandbox_are_refused(small):
    path = small["shard"](2) / shards.MANIFEST
    data = json.loads(path.read_text())
    data["sandbox"] = not data["sandbox"]
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="without the sandbox"):
        merge([], small["out"])


def test_a_final_folder_with_another_key_is_refused(small):
    keys.create(small["out"].parent / keys.FILE_NAME)
    with pytest.raises(ValueError, match="another key than"):
        merge([], small["out"])


def test_a_shard_that_holds_other_students_is_refused(small):
    path = small["shard"](1) / shards.MANIFEST
    data = json.loads(path.read_text())
    data["graded"] = data["graded"][1:]
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="holds other students than shard 1-of-3"):
        merge([], small["out"])


def test_points_written_in_a_shard_folder_are_pointed_out(small):
    """Does the merge warn that it reads points only from the final folder?"""
    (small["shard"](2) / "manual-scores.csv").write_text(
        "student,assignment,question,max_points,points\n"
        f"cat,{A},q_identity,1,1\n")
    said = []
    merge([], small["out"], log=said.append)
    assert any("2-of-3" in m and "merge reads only" in m for m in said), said


def test_a_folder_without_shards_is_refused(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert cli.main(["merge", str(tmp_path / "empty"), "-o", str(tmp_path / "g.csv")]) == 2
    assert "no shard.json in it" in capsys.readouterr().err
    assert cli.main(["merge", str(tmp_path / "nowhere"), "-o", str(tmp_path / "g.csv")]) == 2
    assert "no such shard folder" in capsys.readouterr().err
