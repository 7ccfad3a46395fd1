# Two commands run the whole course on a fresh machine:
#   make lab    set up the environment (first time only) and open the course in JupyterLab
#   make test   set up the environment (first time only) and run the whole test suite
#   make bench  measure what the course costs (about half an hour; writes benchmarks/REPORT.md)
# The environment is a virtual environment in .venv, made from pyproject.toml.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# JupyterLab refuses to run as root unless told to (containers, Binder-like machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
START_NOTEBOOK ?= notebooks/00_index.ipynb

.PHONY: lab test bench setup system-deps generate site clean-venv

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check --progress-bar off -q -e '.[test]'
	$(PY) scripts/lab_settings.py
	@touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab $(ROOT_FLAG) $(START_NOTEBOOK)

# system packages: the grader's sandbox (bubblewrap) and, for the browser tests, chromium;
# installed when possible (root with apt-get), otherwise the scripts say what is missing
system-deps:
	@bash scripts/system-deps.sh
	@bash scripts/browser-deps.sh

test: $(STAMP) system-deps
	$(PY) -m pytest

# benchmarks: run on an otherwise idle machine; budgets are marked in the report
bench: $(STAMP) system-deps
	$(PY) -m benchmarks

generate: $(STAMP)
	$(PY) -m autograder generate

# the reading site (Jupyter Book), built offline into site/_build/html (see the README)
site: $(STAMP)
	$(PY) scripts/build_site.py

clean-venv:
	rm -rf $(VENV)
