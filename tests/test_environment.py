"""Do the set-up files agree: pyproject pins, environment.yml (Binder), the README, CI?"""

import re
import tomllib

from autograder.paths import ROOT

CONDA_NAMES = {"torch": "pytorch"}


def _pyproject_pins():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = data["project"]
    reqs = project["dependencies"] + [r for extra in project["optional-dependencies"].values()
                                      for r in extra]
    pins = {}
    for req in reqs:
        name, _, version = req.partition("==")
        assert version, f"{req}: every dependency of the course is pinned with =="
        pins[name.strip().lower()] = version.strip()
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
    for name, version in _pyproject_pins().items():
        conda = CONDA_NAMES.get(name, name)
        assert conda in env, f"{name} is pinned in pyproject.toml but missing in environment.yml"
        assert env[conda] == version, f"{name}: pyproject {version}, environment.yml {env[conda]}"


def test_torch_is_the_cpu_build_pinned_at_2_13_0():
    """Is torch pinned exactly at 2.13.0 (the CPU build these machines install)?"""
    assert _pyproject_pins()["torch"] == "2.13.0"
    assert re.search(r"pytorch=2\.13\.0=cpu\*", (ROOT / "environment.yml").read_text())


def test_ci_runs_the_readme_test_command():
    """Does .ci/run call exactly the test command the README gives?"""
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make lab" in readme
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith("#") and not line.startswith(("set ", "cd "))]
    assert ci == ["make test"], ci
