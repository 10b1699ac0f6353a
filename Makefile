# Two commands for a newcomer: `make run` and `make test`. Everything they need is
# installed from here into .venv (Python), tests/gateway/node_modules (npm) and Debian.

# The first Python 3.11+ that actually runs (a pyenv shim may exist for an inactive version).
PYTHON ?= $(shell for p in python3.11 python3.12 python3.13 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && command -v $$p && break; \
	done)
VENV := .venv
BIN := $(VENV)/bin
GATEWAY := tests/gateway

.PHONY: run test check lint install install-test gateway browser fonts bench clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[wechat]'
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[wechat,test]'
	@touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run

install-test: $(VENV)/.installed-test

# The official Wechaty PuppetServer with the mock puppet, pinned, for the gateway tests.
$(GATEWAY)/node_modules/.installed: $(GATEWAY)/package.json
	npm install --prefix $(GATEWAY) --no-audit --no-fund --loglevel=error
	@touch $@

gateway: $(GATEWAY)/node_modules/.installed

# Debian's Chromium (and a CJK font, so Chinese renders) for the real-browser tests; never a
# browser download of a test tool's own.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

# Debian's Noto CJK font, so the report charts (matplotlib) can write Chinese.
fonts:
	@test -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; }

run: install fonts
	$(BIN)/gridbot run

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: install-test gateway browser fonts lint
	$(BIN)/pytest

bench: install-test gateway
	$(BIN)/python bench/latency.py

clean:
	rm -rf $(VENV) $(GATEWAY)/node_modules var .pytest_cache .mypy_cache .ruff_cache
