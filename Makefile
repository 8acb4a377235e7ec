# Styrning – the two commands of the README, and a few helpers.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-test demo lint bench synthetic messages clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet ".[test]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## make run: virtualenv, install, migrate, load the demo municipalities, serve on http://127.0.0.1:8000
run: install
	$(PY) manage.py compilemessages --ignore=.venv >/dev/null 2>&1 || true
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_demo
	@echo ""
	@echo "Styrning körs på http://$(HOST):$(PORT)/"
	@echo "Demoinloggningar (lösenord demo):"
	@echo "  admin / demo          administratör för alla kommuner"
	@echo "  tjansteperson / demo  tjänsteperson, redaktör i en nämnd i Vaggeryds kommun"
	@echo "  politiker / demo      förtroendevald, granskare i hela Vaggeryds kommun"
	@echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

## make test: install what the tests need and run the whole suite
test: install-test
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

demo: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_demo

synthetic: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py generate_synthetic

bench: install-test
	$(PY) bench/run.py

lint: install-test
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) db.sqlite3 media

-include scripts/vendor.mk
