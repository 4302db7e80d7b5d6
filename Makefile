# authkit: `make test` and `make compare` are all a newcomer needs.
# The first run creates .venv and installs everything (and, as root on Debian/Ubuntu, the
# redis-server and postgresql packages); later runs skip what is already there.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.authkit-installed

.PHONY: help install stores chromium test test-fast test-compose compare lint format clean

help:
	@echo "make test      run the whole test suite against real servers"
	@echo "make compare   measure every variant side by side and write reports/<timestamp>/"
	@echo "make test-compose  start docker-compose.yml for real and check it (root, Debian/Ubuntu)"
	@echo "make lint      ruff check + format check"

$(STAMP): pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && \
	    $(PYTHON) -m venv $(VENV); \
	  else echo "Cannot create a virtualenv: install python3-venv (Python >= 3.11)"; exit 1; fi; }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

stores: install
	@$(VENV)/bin/authkit services check

# The browser tests (tests/browser) drive Debian's chromium; without it they skip, saying why.
chromium:
	@command -v $${AUTHKIT_CHROMIUM:-/usr/bin/chromium} >/dev/null || { [ "$$(id -u)" = 0 ] && \
	  command -v apt-get >/dev/null && { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; } || \
	  echo "chromium not installed: the browser tests will skip (apt-get install chromium)"

test: stores chromium
	$(PY) -m pytest

test-fast: stores
	$(PY) -m pytest -m "not slow and not fault"

# Root on Debian/Ubuntu: installs an engine + Compose v2 CLI, builds stand-in base images, runs
# the compose file in a private network namespace, removes it all again. Elsewhere: skips,
# saying why. See compose/test-compose.
test-compose: install
	VENV=$(abspath $(VENV)) compose/test-compose

compare: stores
	@# wrk gives each variant a ceiling run without Locust in the way; optional.
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1; } || \
	  echo "wrk not installed: ceiling runs use Locust instead (apt-get install wrk)"
	$(VENV)/bin/authkit compare

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
