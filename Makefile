# Two commands do all set-up on a fresh machine (see README.md):
#   make demo   the instructor demo: release every assignment, grade the sample submissions
#   make test   the whole test suite (lint, unit tests, every notebook in fast mode)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
JOBS ?= 2
OUT ?= build/demo
NOTEBOOK_DIRS := $(wildcard notebooks source)

# Fast, offline, quiet notebooks everywhere make runs them (the notebooks read these).
export COURSE_FAST ?= 1
export TQDM_DISABLE ?= 1
export MPLBACKEND ?= Agg
export PYTHONHASHSEED ?= 0
# Every cu.report_target(...) call appends its measured figure here; `make results` builds RESULTS.md.
export COURSE_RESULTS_DIR ?= $(CURDIR)/build/results

.PHONY: env demo test lint notebooks unit release strip results clean help

help:
	@echo "make demo   - release all assignments, autograde autograder/submissions, write $(OUT)/grades.csv"
	@echo "make test   - lint, unit tests, and every notebook (lectures + assignment solutions) in fast mode"
	@echo "make env    - create $(VENV) (done automatically by demo and test)"
	@echo "make results - write RESULTS.md from the figures the last 'make test' measured"
	@echo "make release / strip / clean"

# PYTHONWARNINGS: setuptools announces every editable install in ten lines of "Editable installation".
$(STAMP): pyproject.toml constraints/ci.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install --quiet -c constraints/ci.txt -e ".[dev]"
	touch $(STAMP)

env: $(STAMP)

demo: env
	$(VENV)/bin/dlcourse demo --out $(OUT) --jobs $(JOBS)

lint: env
	$(PY) -m ruff check .

unit: env
	$(PY) -m pytest tests -n $(JOBS)

notebooks: env
	$(PY) -m pytest $(NOTEBOOK_DIRS) --nbval-lax --nbval-sanitize-with tests/sanitize.cfg \
		-n $(JOBS) --dist loadscope

test: env lint
	rm -rf $(COURSE_RESULTS_DIR)
	$(PY) -m pytest tests $(NOTEBOOK_DIRS) --nbval-lax --nbval-sanitize-with tests/sanitize.cfg \
		-n $(JOBS) --dist loadscope
	@echo "--- Colab simulation (tests/test_colab_simulation.py) ---"; cat build/colab-simulation.txt

results:
	$(PY) tools/results_table.py

release: env
	$(VENV)/bin/dlcourse release all

strip: env
	$(VENV)/bin/nbstripout --extra-keys "metadata.widgets cell.metadata.execution" \
		$$(git ls-files '*.ipynb')

clean:
	rm -rf build .pytest_cache
