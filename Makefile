# Two commands: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONFIG ?= config.example.yaml

.PHONY: run test check-config status clean bench bench-smoke browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The stamp files re-install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	mkdir -p var
	$(BIN)/upstatd run -c $(CONFIG)

# The status pages' browser test drives Debian's chromium: installed here when missing (as root, CI).
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	  chromium >/dev/null; } || echo "chromium is missing and cannot be installed here: the browser test fails"

# On every core (pytest-xdist; loadgroup: a file marked xdist_group stays on one worker, its
# module fixtures made once); TESTFLAGS picks a subset or goes serial:
# make test TESTFLAGS="tests/api -n 0 -x"
TESTFLAGS ?=
test: $(VENV)/.installed-test browser
	$(BIN)/python -m pytest -q -n auto --dist loadgroup $(TESTFLAGS)

check-config: $(VENV)/.installed
	$(BIN)/upstatd check-config -c $(CONFIG)

status: $(VENV)/.installed
	$(BIN)/upstatd status -c $(CONFIG)

# Performance harness (BENCHMARKS.md): ~35 min, exits 1 on a missed target.
bench: $(VENV)/.installed
	$(BIN)/python -m bench

# About a minute; fails only on errors, never on speed (for CI).
bench-smoke: $(VENV)/.installed
	$(BIN)/python -m bench --smoke

clean:
	rm -rf $(VENV) var .pytest_cache build *.egg-info
