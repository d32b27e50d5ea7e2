# Two commands set up a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-12)
# The offline Menagerie copy beside the checkout (tests never download).
export TABRL_MENAGERIE_PATH ?= $(abspath ../shared/menagerie)
export MUJOCO_GL ?= egl
export PYOPENGL_PLATFORM ?= egl

.PHONY: run test setup system-deps web api-types clean

setup: system-deps $(STAMP)

system-deps:
	@bash scripts/system_deps.sh

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,llm,assets,ray]'
	$(BIN)/pip check
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

web:
	@bash scripts/build_web.sh

# The page's TypeScript API types (web/src/api-schema.ts) from tabrl/api/schemas.py; `make test` checks them.
api-types: setup web
	$(BIN)/python scripts/api_types.py

run: setup web
	$(BIN)/tabrl doctor
	$(BIN)/tabrl models
	$(BIN)/tabrl thumbnails --missing
	@if $(BIN)/tabrl serve --help >/dev/null 2>&1; then $(BIN)/tabrl serve; fi

test: setup web
	$(BIN)/ruff check tabrl tests scripts
	$(BIN)/ruff format --check tabrl tests scripts
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo
	@if [ -f web/package.json ]; then $(BIN)/python scripts/api_types.py --check; fi
	@if [ -f web/package.json ]; then cd web && npm test --silent; fi
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .tabrl web/node_modules web/dist
