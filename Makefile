# Tanlian: two commands on a fresh machine — `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
FLASK  := $(VENV)/bin/flask --app app
STAMP  := $(VENV)/.installed
# supply_graph's optional compiled kernel (supply_graph/native.py); without a C compiler the
# engine takes its numpy path and gives the same numbers, only slower on randomly listed graphs
KERNEL := supply_graph/_sweep.so

.PHONY: run install test test-browser lint typecheck translations translations-update clean

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade "pip==26.3"
	$(PIP) install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) translations $(KERNEL)

# no fused multiply-add (-ffp-contract=off): the kernel's sums are the numpy path's, bit for bit
$(KERNEL): supply_graph/_sweep.c
	@if command -v $(CC) >/dev/null 2>&1; then \
	  $(CC) -O2 -fPIC -shared -ffp-contract=off -o $@ $<; \
	else echo "No C compiler ($(CC)): supply_graph runs without its kernel (numpy path)"; fi

translations: $(STAMP)
	if [ -d footprint_platform/translations ]; then \
	  $(VENV)/bin/pybabel compile --statistics -d footprint_platform/translations; fi

# After changing user-facing strings: extract them and merge into the catalogues, then translate.
translations-update: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  --omit-header -o footprint_platform/messages.pot .
	$(VENV)/bin/pybabel update -i footprint_platform/messages.pot -d footprint_platform/translations \
	  --width 100

run: install
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) demo load
	$(FLASK) demo logins
	$(FLASK) run --host 127.0.0.1 --port 5000

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# The whole suite on SQLite (the browser tests included: they skip with a reason when Debian's
# chromium is absent, unless TANLIAN_REQUIRE_BROWSER=1 as in CI), then the database lane on
# PostgreSQL when TANLIAN_TEST_POSTGRES_URL is set (CI sets it; without it that lane is skipped).
test: install lint typecheck
	$(VENV)/bin/pytest -n 2 -q
	@if [ -n "$$TANLIAN_TEST_POSTGRES_URL" ]; then \
	  $(VENV)/bin/pytest -q -m postgres --db=postgres; \
	else echo "PostgreSQL lane skipped: TANLIAN_TEST_POSTGRES_URL is not set (CI sets it)"; fi

# Only the browser tests (Playwright + Debian's chromium); screenshots in test-artifacts/browser/.
test-browser: install
	$(VENV)/bin/pytest -q -m browser

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts $(KERNEL)
