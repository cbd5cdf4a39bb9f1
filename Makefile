# The two commands of the README: `make demo` serves the demo shop, `make test` runs the suite.
# Both build the virtualenv in .venv from pyproject.toml first (Python 3.12+ needed).

PYTHON ?= $(shell for p in python3 python3.13 python3.12 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export DEBUG ?= 1

.PHONY: demo test install messages check-translations bench profile bench-recovery bench-flows bench-reports lint clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (none found on PATH)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

messages: install
	$(BIN)/python manage.py compile_translations

demo: messages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py run_demo --port $(PORT)

test: messages
	DEBUG= $(BIN)/python -m pytest $(PYTEST_ARGS)

# CI: every language's catalogue holds every source string, translated and not fuzzy.
check-translations: install
	$(BIN)/python manage.py check_translations

# The web requests of issue 8 through gunicorn (2 sync workers) on a throwaway PostgreSQL with
# wrk (apt-get install wrk; a Python load generator otherwise): CPU ms per request, statements,
# req/s, p50/p99 against the one-query floor (/health/); worker memory over 20,000 requests.
# 5 min plus the memory run (today about 25 min at 12 req/s); BENCH_SECONDS (15) per scenario, BENCH_MEMORY_REQUESTS (20000).
bench: messages
	DEBUG= $(BIN)/python tests/bench/run.py

# Where the milliseconds of those requests go: cProfile in process, same set-up (about 2 min).
profile: messages
	DEBUG= $(BIN)/python tests/bench/profile.py

# Recovery at scale on a throwaway PostgreSQL (about 10 minutes): detection over 1,000,000
# carts, the admin list with 100,000 customers, a newsletter to 10,000 through loopback SMTP.
bench-recovery: messages
	DEBUG= $(BIN)/python tests/bench/recovery.py

# The flow scheduler over 1,000,000 carts with 300,000 abandoned and three steps, on a throwaway
# PostgreSQL (about 3 minutes): time and statements of each phase of the every-minute job.
bench-flows: messages
	DEBUG= $(BIN)/python tests/bench/flows.py

# The Reports page over 1,000,000 carts and 10,000,000 events on a throwaway PostgreSQL (about
# 15 minutes), and what recording events costs a cart add and a placement (on and off).
bench-reports: messages
	DEBUG= $(BIN)/python tests/bench/reports.py

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var db.sqlite3 media staticfiles .secret_key
