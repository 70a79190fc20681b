# probdesk: `make run` and `make test` do everything on a fresh machine (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Debian packages Qt needs offscreen and in a real window, and the PDF tools and PostgreSQL
# server the tests use.
QT_DEBS := libgl1 libegl1 libx11-6 libdbus-1-3 libfontconfig1 libfreetype6 libglib2.0-0 \
           libxkbcommon0 fonts-dejavu-core
WINDOW_DEBS := xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
               libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0
# PostgreSQL for the hub tests (they start a throwaway server): only where initdb is missing.
PG_DEBS := $(if $(wildcard /usr/lib/postgresql/*/bin/initdb),,$(if $(shell command -v initdb 2>/dev/null),,postgresql))
# binutils: `strip`, which the bundle build uses to trim debug information.
TEST_DEBS := poppler-utils binutils $(PG_DEBS)

.PHONY: run test test-fast test-isolated lint typecheck bench bundle setup sysdeps clean lock

setup: sysdeps $(STAMP)

# Every machine installs the versions CI tested: requirements/dev.txt pins each package for
# Linux, Windows and macOS with its hashes (uv's universal resolution, installed by plain pip).
# probdesk itself goes in editable, without dependencies: they all come from the lock.
LOCK := requirements/dev.txt
$(STAMP): pyproject.toml $(LOCK) setup.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q --require-hashes -r $(LOCK)
	$(PY) -m pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# Refresh the lock files on purpose (newest versions within pyproject.toml's ranges), then run
# `make test` and commit requirements/ with the change that needed it. --no-strip-extras: a
# package that asks for another's extra (pytest-cov: coverage[toml]) finds it pinned as such;
# pip's --require-hashes refuses the lock otherwise ("must have their versions pinned").
UV_COMPILE = $(VENV)/bin/uv pip compile pyproject.toml --universal --generate-hashes \
	--python-version 3.11 --no-strip-extras --upgrade -q
lock: setup
	$(UV_COMPILE) -o requirements/app.txt
	$(UV_COMPILE) --extra dev -o requirements/dev.txt
	@echo "requirements/app.txt and requirements/dev.txt refreshed; run make test, then commit them."

# Installs only what is missing; as a non-root user prints the exact command instead.
sysdeps:
	@if [ -f /etc/debian_version ] && command -v dpkg >/dev/null; then \
	  missing=""; \
	  for p in $(QT_DEBS) $(WINDOW_DEBS) $(TEST_DEBS); do \
	    dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	  done; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then \
	      echo "Installing Debian packages:$$missing"; \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	    else \
	      echo "probdesk needs these Debian packages. Run:"; \
	      echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends$$missing"; \
	    fi; \
	  fi; \
	fi

run: setup
	@if [ -n "$$DISPLAY" ] || [ -n "$$WAYLAND_DISPLAY" ]; then \
	  $(VENV)/bin/probdesk; \
	else \
	  echo "No display found (DISPLAY and WAYLAND_DISPLAY are unset): running the headless demo instead (rebuilt in out/demo)."; \
	  rm -rf out/demo && $(VENV)/bin/probdesk demo --out out/demo; \
	fi

# Tests run over one pytest-xdist worker per core (-n auto: one on a 1-core machine), each test
# file whole in one worker (--dist loadfile: a file's module-scoped fixtures, its hubs and
# demos, are built once, not once in each worker). Each worker is a process of its own, with
# its own temporary folders, PostgreSQL server, key store file and Qt application
# (tests/conftest.py). PYTEST_WORKERS=0 runs everything in this one process (as --pdb does).
PYTEST_WORKERS ?= auto
XDIST = -n $(PYTEST_WORKERS) --dist loadfile

# The whole suite, every tier, in random order (the seed printed first), under coverage:
# measured in every worker and combined into .coverage (pytest-cov); then coverage by package
# against its floors (tests/coverage_floors.py).
test: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q $(XDIST) --cov --cov-report= $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc = 5 ]; then echo "pytest collected no tests"; exit 1; fi; \
	  if [ $$rc != 0 ]; then exit $$rc; fi
	@if [ -z "$(PYTEST_ARGS)" ]; then $(PY) tests/coverage_floors.py; else \
	  echo "coverage floors not checked: only part of the suite ran (PYTEST_ARGS)"; fi

# The edit-test loop (under a minute): the unit and command-line tiers, which between them
# reach every layer, over the same workers; stops at the first failure, no coverage. One more
# tier or file: make test-fast FAST="unit or cli or integration", or
# PYTEST_ARGS=tests/integration/test_store.py; PYTEST_WORKERS=0 for one process.
FAST ?= unit or cli
test-fast: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -x -p no:randomly $(XDIST) -m "$(FAST)" $(PYTEST_ARGS)

# Each test file in a process of its own, in random order inside it: no file may lean on another
# having run first (about 1.5 times a full run; make test already runs everything in random
# order, with the seed in its header).
test-isolated: setup
	@failed=""; for f in tests/*/test_*.py; do \
	  echo "== $$f"; QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p randomly $$f || failed="$$failed $$f"; \
	done; if [ -n "$$failed" ]; then echo "failed alone:$$failed"; exit 1; fi

lint: setup
	$(VENV)/bin/ruff check probdesk tests benchmarks packaging setup.py build.spec
	$(VENV)/bin/ruff format --check probdesk tests benchmarks packaging setup.py

typecheck: setup
	$(VENV)/bin/mypy

bench: setup
	@for b in benchmarks/*.py; do \
	  case "$$b" in */_*) continue;; esac; \
	  echo "== $$b"; QT_QPA_PLATFORM=offscreen $(PY) $$b || exit 1; \
	done

bundle: setup
	$(VENV)/bin/pyinstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller build.spec

clean:
	rm -rf build dist out .pytest_cache .mypy_cache .ruff_cache
