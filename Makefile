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
	    apt-get update -qq && $(APT_INSTALL) python3-venv && \
	    $(PYTHON) -m venv $(VENV); \
	  else echo "Cannot create a virtualenv: install python3-venv (Python >= 3.11)"; exit 1; fi; }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

stores: install
	@$(VENV)/bin/authkit services check

# The browser tests (tests/browser) drive Debian's chromium; without it they skip, saying why,
# except in strict mode (AUTHKIT_STRICT=1, set by .ci/run), where a failed install fails.
# apt waits up to 5 minutes for a lock another apt holds instead of failing at once.
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq
chromium:
	@command -v $${AUTHKIT_CHROMIUM:-/usr/bin/chromium} >/dev/null || { [ "$$(id -u)" = 0 ] && \
	  command -v apt-get >/dev/null && { apt-get update -qq && $(APT_INSTALL) chromium >/dev/null; }; } || \
	  if [ -n "$$AUTHKIT_STRICT" ]; then \
	    echo "chromium could not be installed, and strict mode (AUTHKIT_STRICT) runs the browser tests"; exit 1; \
	  else echo "chromium not installed: the browser tests will skip (apt-get install chromium)"; fi

# The slowest tests are listed at the end: where the suite's time goes, in every CI log.
test: stores chromium
	$(PY) -m pytest -n 4 --dist loadgroup --durations=20

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
	  $(APT_INSTALL) wrk >/dev/null 2>&1; } || \
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
