# Goodword. `make run` serves on SQLite with a demo site; `make test` runs the whole suite.
# Both build the virtual environment on first use: `make run` with what Goodword needs to run,
# `make test` (and lint, types, check) with the test and lint tools too.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SUM    := $(shell cat pyproject.toml | cksum | cut -d' ' -f1)
STAMP  := $(VENV)/.installed-dev-$(SUM)
RUN_STAMP := $(VENV)/.installed-run-$(SUM)
LOCAL_PG := postgres://postgres@127.0.0.1:5432/goodword
# `make run PORT=8123` serves there (claim links follow); unset, GOODWORD_PORT or 8000.
PORT ?=

.PHONY: run test test-sqlite test-postgres check lint types migrations-check bench install \
	install-run wheel clean browser

# The portal's browser tests drive Debian's chromium through Playwright; nothing is downloaded
# at run time. Installed here when missing (as root, or through sudo); where that is not
# possible the browser tests skip locally, and fail under CI.
CHROMIUM ?= /usr/bin/chromium

install: $(STAMP)

install-run: $(RUN_STAMP)

# The development install: runtime, test and lint tools (it includes the runtime one).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,gunicorn]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP) $(RUN_STAMP)

# What `make run` needs: Goodword and its runtime dependencies only.
$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	rm -f $(VENV)/.installed-run-*
	touch $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/goodword run$(if $(PORT), --port $(PORT))

# A wheel (templates, static files and migrations inside) in dist/, for `pip install` and the
# Dockerfile.
wheel: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --wheel --no-isolation --outdir dist .

browser:
	@test -x $(CHROMIUM) || { \
		echo "installing Debian's chromium for the portal's browser tests"; \
		if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo -n"; fi; \
		{ $$sudo apt-get update -qq && $$sudo apt-get install -y -qq chromium chromium-driver; } \
		|| echo "could not install chromium: browser tests will skip (under CI they fail)"; }

# SQLite always; PostgreSQL too when TEST_DATABASE_URL is set, or when one answers on
# 127.0.0.1:5432 (CI sets TEST_DATABASE_URL and fails if it is down).
test: $(STAMP) browser
	@$(MAKE) --no-print-directory test-sqlite
	@url="$${TEST_DATABASE_URL:-}"; \
	if [ -z "$$url" ] && $(BIN)/python -c "import psycopg; psycopg.connect('$(LOCAL_PG)'.rsplit('/',1)[0] + '/postgres', connect_timeout=2).close()" 2>/dev/null; then \
		url="$(LOCAL_PG)"; fi; \
	if [ -n "$$url" ]; then TEST_DATABASE_URL="$$url" $(MAKE) --no-print-directory test-postgres; \
	else echo "PostgreSQL not reachable and TEST_DATABASE_URL unset: PostgreSQL run skipped"; fi

test-sqlite: $(STAMP)
	@echo "== tests on SQLite"
	env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@echo "== tests on PostgreSQL ($${TEST_DATABASE_URL})"
	DATABASE_URL="$${TEST_DATABASE_URL}" $(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

types: $(STAMP)
	env -u DATABASE_URL $(BIN)/mypy

migrations-check: $(STAMP)
	env -u DATABASE_URL $(BIN)/goodword manage makemigrations --check --dry-run

# Exactly what CI runs.
check: lint types migrations-check
	TEST_DATABASE_URL="$${TEST_DATABASE_URL:-$(LOCAL_PG)}" $(MAKE) --no-print-directory test

# Every benchmark in order (each bounded in time), then docs/benchmarks.md. PostgreSQL on
# 127.0.0.1:5432; BENCH_ARGS=--quick for a short check that they all run.
bench: $(STAMP)
	$(BIN)/python bench/all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var dist build .pytest_cache .mypy_cache .ruff_cache
