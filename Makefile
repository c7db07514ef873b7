# The README's two commands are `make run` and `make test`; both install what they need first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# A newcomer's `make run` works without keys, on a development key; SHOUHU_DEVELOPMENT=false in the environment
# makes it refuse, as a real deployment (docker-compose.yml) does.
run: install
	SHOUHU_DEVELOPMENT=$${SHOUHU_DEVELOPMENT:-true} $(BIN)/python -m bot db upgrade
	SHOUHU_DEVELOPMENT=$${SHOUHU_DEVELOPMENT:-true} $(BIN)/python -m bot run

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m tests.run_both

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache data/*.db
