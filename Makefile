# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CONFIG ?= config.toml

.PHONY: run test lint format sandbox sync migrate bench soak clean

$(VENV)/.installed-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed-run
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-lint: pyproject.toml $(VENV)/.installed-run
	$(PY) -m pip install --quiet -e '.[lint]'
	touch $@

run: $(VENV)/.installed-run
	@test -f $(CONFIG) || { echo "$(CONFIG) not found: cp config.example.toml $(CONFIG), then set the token and API key (or DISCORD_TOKEN / OPENAI_API_KEY)"; exit 2; }
	$(PY) -m bot --config $(CONFIG)

sync: $(VENV)/.installed-run
	$(PY) -m bot --config $(CONFIG) sync $(if $(GUILD),--guild $(GUILD))

migrate: $(VENV)/.installed-run
	$(PY) -m bot --config $(CONFIG) migrate

# The suite runs twice, the bot on SQLite and then on PostgreSQL (127.0.0.1:5432), each spread
# over $(WORKERS) processes: most tests wait on their stand-ins more than they compute.
WORKERS ?= 4
# The painting page's tests drive Debian's Chromium (never a downloaded browser).
CHROMIUM ?= /usr/bin/chromium
test: $(VENV)/.installed-test
	@test -x $(CHROMIUM) || { echo "Chromium is missing: sudo apt-get install -y chromium (the painting page's tests run in it)"; exit 2; }
	$(PY) -m pytest -n $(WORKERS) $(PYTEST_ARGS)
	IMAGEBOT_TEST_DATABASE=postgresql $(PY) -m pytest -n $(WORKERS) $(PYTEST_ARGS)

lint: $(VENV)/.installed-lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pyright

format: $(VENV)/.installed-lint
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

sandbox: $(VENV)/.installed-test
	$(PY) -m tests.sandbox $(if $(PROMPT),--prompt "$(PROMPT)")

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed-test
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $@

bench: $(VENV)/.installed-bench
	$(PY) -m bench $(if $(QUICK),--quick)

soak: $(VENV)/.installed-bench
	$(PY) -m tests.soak --write

clean:
	rm -rf $(VENV) sandbox-output
