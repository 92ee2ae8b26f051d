# Tacit: `make run` serves the demo forum, `make test` runs every test. Both set themselves up.
# The newest CPython 3.12+ on the PATH when there is one (3.11 has a GC bug the forum guards
# against: docs/known-issues.md), else Debian's own python3; another: `make PYTHON=python3.13`.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12; do $$p -c '' >/dev/null 2>&1 && { echo $$p; exit 0; }; done; test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
LOCK_OPTIONS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--no-emit-find-links

.PHONY: lock run test serve static require-base-url install install-serve install-test translations lint bench bench-chat bench-pages search-eval clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installs come from the lock files (exact versions, with hashes); pyproject.toml keeps the
# ranges. `make lock` writes the lock files again after a change of the ranges.
$(VENV)/.installed: requirements/main.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/main.txt
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.installed-serve: requirements/serve.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --require-hashes -r requirements/serve.txt
	@touch $@

$(VENV)/.installed-test: requirements/test.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --require-hashes -r requirements/test.txt
	@touch $@

lock: | $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile $(LOCK_OPTIONS) -o requirements/main.txt pyproject.toml
	$(BIN)/pip-compile $(LOCK_OPTIONS) --extra serve -o requirements/serve.txt pyproject.toml
	$(BIN)/pip-compile $(LOCK_OPTIONS) --extra serve --extra test -o requirements/test.txt pyproject.toml

install: $(VENV)/.installed translations
install-serve: $(VENV)/.installed-serve translations
install-test: $(VENV)/.installed-test translations

# Compiled catalogs are build output, not committed.
translations: $(VENV)/.installed
	@$(BIN)/pybabel compile --statistics -d forum/translations 2>&1 | grep -v '^$$' || true

run: install
	$(FLASK) db upgrade
	$(FLASK) markup rerender
	FORUM_DEMO=$${FORUM_DEMO:-1}; if [ "$$FORUM_DEMO" != "0" ]; then $(FLASK) demo seed --if-empty; fi
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python wsgi.py

# Production shape: gunicorn, gevent worker (websockets through simple-websocket), one
# worker per process as Flask-SocketIO requires. Run several behind a proxy with
# FORUM_REDIS_URL set to share rooms. FORUM_BASE_URL is required: links in mail are built
# on it, and requests for any other host are refused.
serve: require-base-url install-serve
	$(FLASK) db upgrade
	$(FLASK) markup rerender
	$(FLASK) static compress
	FORUM_ASYNC_MODE=gevent exec $(BIN)/gunicorn --worker-class gevent --workers 1 \
	  --no-control-socket --bind $(HOST):$(PORT) --access-logfile - wsgi:app

# <file>.gz and <file>.br beside each text file of forum/static (nginx's gzip_static; the
# app serves them too). Files that did not change are left alone.
static: install
	$(FLASK) static compress

require-base-url:
	@if [ -z "$$FORUM_BASE_URL" ]; then \
	  echo "make serve: set FORUM_BASE_URL to the address people open (e.g. FORUM_BASE_URL=https://forum.example.org):" >&2; \
	  echo "links in mail are built on it, never on a request's Host header, and requests for other hosts are refused." >&2; \
	  exit 2; fi

# The SQLite pass (browser suite included) and the PostgreSQL pass run side by side: each
# names its own databases, Redis keys and ports. Their outputs follow, one after the other.
# The PostgreSQL pass runs in two processes (each names its own database, Redis keys and
# ports): the modules test_a* to test_f*, and the others.
PG_FIRST_HALF = $(sort $(wildcard tests/test_[a-f]*.py))
PG_SECOND_HALF = $(sort $(wildcard tests/test_[g-z]*.py))

test: install-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	@echo "pytest: the SQLite pass and the PostgreSQL pass (in two halves), side by side (logs in .test-*.log)"
	@rm -f .test-*.log .test-*.rc; \
	( FORUM_TEST_SPLIT=1 $(BIN)/python -m pytest -p no:cacheprovider --durations=15 > .test-sqlite.log 2>&1; \
	  echo $$? > .test-sqlite.rc ) & \
	( FORUM_TEST_DB=postgresql $(BIN)/python -m pytest -p no:cacheprovider --durations=15 \
	    -m "not browser and not dbless" $(PG_FIRST_HALF) > .test-postgresql-1.log 2>&1; \
	  echo $$? > .test-postgresql-1.rc ) & \
	( FORUM_TEST_DB=postgresql $(BIN)/python -m pytest -p no:cacheprovider --durations=15 \
	    -m "not browser and not dbless" $(PG_SECOND_HALF) > .test-postgresql-2.log 2>&1; \
	  echo $$? > .test-postgresql-2.rc ) & \
	wait; \
	echo "== SQLite pass"; cat .test-sqlite.log; \
	echo "== PostgreSQL pass, first half"; cat .test-postgresql-1.log; \
	echo "== PostgreSQL pass, second half"; cat .test-postgresql-2.log; \
	test "$$(cat .test-sqlite.rc)" = 0 && test "$$(cat .test-postgresql-1.rc)" = 0 && \
	  test "$$(cat .test-postgresql-2.rc)" = 0

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# Load test: Tacit served by `make serve` beside bare Flask pages, on a 200,000-post forum
# built once into bench/data/ (BENCH_QUESTIONS, BENCH_POSTS; uses wrk when installed).
bench: install-serve
	$(BIN)/python bench/run.py

# Chat: fan-out (Tacit's /chat beside a bare Flask-SocketIO server, 50 and 200 sockets in one
# room), then the soak (two servers on PostgreSQL + Redis at 127.0.0.1, one killed with
# SIGKILL mid-run). Clients: Node's socket.io-client (bench/node, installed by npm ci).
bench-chat: install-serve
	$(BIN)/python bench/chat_fanout.py
	$(BIN)/python bench/chat_soak.py

# Search quality: hit@1, hit@5 and MRR per kind of query (tests/search_eval, docs/search.md),
# on SQLite and a throw-away PostgreSQL database at 127.0.0.1:5432.
search-eval: install-test
	$(BIN)/python -m tests.search_eval --postgresql

# First Contentful Paint and page weight in Chromium under slow-4G throttling (docs/performance.md).
bench-pages: install-test
	$(BIN)/python bench/pages.py

clean:
	rm -rf $(VENV) forum/translations/*/LC_MESSAGES/*.mo
