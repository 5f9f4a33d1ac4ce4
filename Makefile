# The two commands a new user needs (see README):
#   make demo   set up, migrate, seed a demo network and serve http://127.0.0.1:8000 (SQLite)
#   make test   set up and run the whole test suite against the local PostgreSQL
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/backoffice

.PHONY: install demo demo-setup test test-faults screenshots check-deploy lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Everything `demo` does except serving: used by the tests of the README commands.
demo-setup: install
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed_demo --if-empty

demo: demo-setup
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

test: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(VENV)/bin/pytest $(PYTEST_ARGS)

# The fault tests (tests/faults, RELIABILITY.md): real Celery workers, beat and an own redis-server,
# killed in the middle of a close, which must finish by itself. A few minutes; `make test` leaves them out.
test-faults: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(VENV)/bin/pytest tests/faults -m faults $(PYTEST_ARGS)

# The portal's browser tests, keeping a screenshot of every page (375 and 1280 px, English and
# Dutch) in test-artifacts/screenshots/.
screenshots: install
	SCREENSHOTS=1 DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(VENV)/bin/pytest tests/portal/browser $(PYTEST_ARGS)

# Django's deployment checks on the production settings (DEBUG off, a throwaway key): CI runs it.
check-deploy: install
	DJANGO_SETTINGS_MODULE=backoffice.settings DEBUG=0 ALLOWED_HOSTS=backoffice.example.com \
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	$(PY) manage.py check --deploy --fail-level WARNING

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	DEBUG=1 $(VENV)/bin/mypy

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
