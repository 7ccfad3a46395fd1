# The course's commands; `make help` lists them. Two run the whole course on a fresh machine:
#   make lab    set up the environment (first time only) and open the course in JupyterLab
#               (make lab-ko: the same, at the Korean edition's contents, notebooks/ko/)
#   make test   set up the environment (first time only) and run the whole test suite
# The environment is a virtual environment in .venv, made from pyproject.toml (exact pins).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PIP    := $(PY) -m pip install --disable-pip-version-check --progress-bar off -q
# PyTorch's CPU build. On Linux, PyPI's torch is the CUDA build (several GB of NVIDIA
# libraries the course never uses) and pyproject.toml pins torch==2.13.0+cpu, which only
# PyTorch's CPU index serves. That index is asked about torch alone: the first pip call
# installs just the torch lines of pyproject.toml (--no-deps), the second everything else
# from the ordinary index. Where the CPU index cannot be reached, pip warns, retries for a
# few seconds and goes on with its other sources (a local wheel, a mirror, pip's cache).
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
TORCH_REQS  := $(VENV)/torch-requirements.txt
# JupyterLab refuses to run as root unless told to (containers, Binder-like machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
START_NOTEBOOK ?= notebooks/00_index.ipynb
# the URL JupyterLab prints (and opens) is the contents notebook, not the Launcher
LAB_FLAGS := $(ROOT_FLAG) --LabApp.default_url=/lab/tree/$(START_NOTEBOOK)
BUNDLE_DIR ?= dist

.DEFAULT_GOAL := help
.PHONY: help lab lab-ko instructor test bench setup system-deps generate site bundle clean clean-venv

help: ## list the commands
	@echo "Batch Normalization, from scratch: make TARGET"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

setup: $(STAMP) ## make .venv from pyproject.toml (done by lab and test when needed)

$(STAMP): pyproject.toml scripts/lab_settings.py scripts/torch_requirements.py
	@test -x $(PY) || $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	    echo "The course needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version 2>&1)."; \
	    echo "Install one and run, for example: make PYTHON=python3.11"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) scripts/torch_requirements.py > $(TORCH_REQS)
	$(PIP) --no-deps --extra-index-url $(TORCH_INDEX) -r $(TORCH_REQS)
	$(PIP) -e '.[test]'
	$(PY) scripts/lab_settings.py
	@touch $(STAMP)

lab: $(STAMP) ## open the course in JupyterLab, at its contents (the student's view)
	$(VENV)/bin/jupyter lab $(LAB_FLAGS)

lab-ko: $(STAMP) ## 한국어판: the same JupyterLab, at the Korean contents (notebooks/ko/00_index.ipynb)
	$(VENV)/bin/jupyter lab $(ROOT_FLAG) --LabApp.default_url=/lab/tree/notebooks/ko/00_index.ipynb

instructor: $(STAMP) ## JupyterLab with nbgrader's instructor tools and the course's nbgrader configuration
	JUPYTER_CONFIG_PATH=$(CURDIR)/autograder $(VENV)/bin/jupyter lab $(LAB_FLAGS)

# system packages: the grader's sandbox (bubblewrap) and, for the browser tests, chromium;
# installed when possible (root with apt-get), otherwise the scripts say what is missing
system-deps: ## install bubblewrap and chromium when possible (root with apt-get)
	@bash scripts/system-deps.sh
	@bash scripts/browser-deps.sh

test: $(STAMP) system-deps ## run the whole test suite
	$(PY) -m pytest

# benchmarks: run on an otherwise idle machine; budgets are marked in the report
bench: $(STAMP) system-deps ## measure what the course costs (about an hour; benchmarks/REPORT.md)
	$(PY) -m benchmarks

generate: $(STAMP) ## regenerate notebooks/ (student versions) from solutions/
	$(PY) -m autograder generate

# the reading site (Jupyter Book), built offline into site/_build/html (see the README)
site: $(STAMP) ## build the reading site into site/_build/html
	$(PY) scripts/build_site.py

bundle: $(STAMP) ## the student release for a learning platform: dist/*-student.zip
	$(PY) scripts/bundle.py --output $(BUNDLE_DIR)

clean: ## remove what builds and tests leave (keeps .venv and grading/)
	rm -rf $(BUNDLE_DIR) site/_build test-artifacts grading-demo .pytest_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

clean-venv: ## remove .venv (the next make sets it up again)
	rm -rf $(VENV)
