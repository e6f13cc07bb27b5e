# Two commands do all set-up on a fresh machine (see README.md):
#   make demo   the instructor demo: release every assignment, grade the sample submissions
#   make test   the whole test suite (lint, unit tests, every notebook in fast mode)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
JOBS ?= 2
# pytest runs one worker more than JOBS: many tests wait (on browsers, Slurm, PostgreSQL, graders in
# subprocesses), and two workers on two cores left CPU idle (pytest measured 652-729 s with three workers,
# 688-792 s with two, over two days).
# The per-notebook budget counts each kernel's CPU time (conftest.py), so sharing the cores cannot fail it.
TEST_WORKERS ?= $(shell expr $(JOBS) + 1)
OUT ?= build/demo
NOTEBOOK_DIRS := notebooks  # the solutions in source/ run in tests/test_homework_design.py

# Fast, offline, quiet notebooks everywhere make runs them (the notebooks read these).
export COURSE_FAST ?= 1
export TQDM_DISABLE ?= 1
export MPLBACKEND ?= Agg
export PYTHONHASHSEED ?= 0
# Every cu.report_target(...) call appends its measured figure here; `make results` builds RESULTS.md.
export COURSE_RESULTS_DIR ?= $(CURDIR)/build/results

.PHONY: env demo test lint notebooks unit release strip results clean help site smoke-full

help:
	@echo "make demo   - release all assignments, autograde autograder/submissions, write $(OUT)/grades.csv"
	@echo "make test   - lint, unit tests, and every notebook (lectures + assignment solutions) in fast mode"
	@echo "make env    - create $(VENV) (done automatically by demo and test)"
	@echo "make results - write RESULTS.md from the figures the last 'make test' measured"
	@echo "make smoke-full - every lecture's full-mode code (COURSE_FAST=0) on a CPU: short loops, stand-in data"
	@echo "make site   - the course website in build/site/ (lectures run in fast mode, slides, homework, results)"
	@echo "make release / strip / clean"

# uv installs and byte-compiles CI's pins on every core (about 30 s where pip took 76 s on two cores);
# tools/uv_install.py hands it the package sources pip is configured with. PYTHONWARNINGS: setuptools
# announces every editable install in ten lines of "Editable installation".
$(STAMP): pyproject.toml constraints/ci.txt tools/uv_install.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints/ci.txt uv
	PYTHONWARNINGS="ignore:Editable installation" $(PY) tools/uv_install.py $(PY) --quiet \
		-c constraints/ci.txt --upgrade-package pip pip -e ".[dev]"
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
		-n $(TEST_WORKERS) --dist loadscope
	@# The site test (one browser, mostly one core) and smoke-full run side by side; smoke-full's
	@# report is printed when both are done, and either one failing fails the target. (Started beside
	@# pytest instead, even at nice 19, smoke-full slowed pytest more than it gained: 946 s against 905 s.)
	mkdir -p build; $(PY) tools/smoke_full.py --jobs $(JOBS) > build/smoke-full.log 2>&1 & smoke=$$!; \
	$(PY) -m pytest tests/test_site.py; site=$$?; \
	wait $$smoke; rc=$$?; echo "--- make smoke-full (tools/smoke_full.py) ---"; cat build/smoke-full.log; \
	test $$site -eq 0 -a $$rc -eq 0
	@echo "--- Colab simulation (tests/test_colab_simulation.py) ---"; cat build/colab-simulation.txt

results:
	$(PY) tools/results_table.py

# Every lecture's full-mode path (COURSE_FAST=0: torchvision loaders, full-size models, full-mode evaluation)
# on a CPU in a few minutes: COURSE_SMOKE=1 cuts the loops short, and tools/smoke_full.py points the loaders
# at small stand-in datasets written in torchvision's own formats. `make test` runs it after pytest.
smoke-full: env
	$(PY) tools/smoke_full.py --jobs $(JOBS)

# The website (tools/site_build.py, site/conf.py). Lectures come executed from build/executed/, which
# `make test` fills; any other lecture is executed here, $(JOBS) at a time. Open build/site/index.html.
site: env
	$(PY) tools/site_build.py --jobs $(JOBS)

release: env
	$(VENV)/bin/dlcourse release all

strip: env
	$(VENV)/bin/nbstripout --extra-keys "metadata.widgets cell.metadata.execution" \
		$$(git ls-files '*.ipynb')

clean:
	rm -rf build .pytest_cache
