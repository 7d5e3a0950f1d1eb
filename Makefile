# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test lint bench clean

# The virtual environment, rebuilt when the pinned requirements change.
$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# Start the dashboard on the bundled offline sample; no network needed.
run: $(BIN)/.installed
	$(BIN)/python -m streamlit run server.py --server.port $(PORT)

# The browser tests (tests/browser) drive Debian's Chromium through Playwright; Playwright's
# own browser download is never used. Installed here when missing; without it, make test fails.
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	@echo "make test: $@ is missing; installing Debian's chromium for the browser tests"
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
	@test -x $@ || { echo "make test: Debian's chromium did not install $@" >&2; exit 1; }

test: $(BIN)/.installed-dev $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# Benchmarks against the DataCamp tutorial's own loop (bench/README.md): about 45 min on
# 2 cores; BENCH_ARGS=--quick is a 4-minute smoke test. Playwright drives Debian's chromium.
bench: $(BIN)/.installed
	$(BIN)/python -c "import playwright" 2>/dev/null || $(BIN)/python -m pip install --quiet playwright
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache runs
