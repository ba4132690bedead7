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

# The suite runs twice, the bot on SQLite and then on PostgreSQL, each spread over $(WORKERS)
# processes (most tests wait on their stand-ins more than they compute), both runs on one throwaway
# PostgreSQL cluster made with the installed server (unless IMAGEBOT_TEST_POSTGRES_URL names a
# server of yours). The painting page's tests drive Debian's Chromium (never a downloaded browser).
WORKERS ?= 4
test: $(VENV)/.installed-test
	@$(PY) -m tests.suite -n $(WORKERS) $(PYTEST_ARGS)

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
