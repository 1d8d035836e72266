# The two commands: `make test` and `make demo` (plus `make bench`).
# Each works on a fresh Debian/Ubuntu machine as root: it installs what it needs into .venv.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# torch is pinned here, installed before anything that depends on it: a looser
# spec can pull a multi-GB CUDA build (see DEVELOPERS.md).
TORCH_SPEC ?= torch==2.13.0
EXTRAS ?= edge,openvino,hub,train,dev

.PHONY: help venv system-deps services lint typecheck unit test demo demo-ota bench model clean console-assets

help:
	@echo "make test   - install everything and run lint, type checks and the whole suite"
	@echo "make demo   - run the system on embedded defaults"
	@echo "make demo-ota - the demo plus the OTA story (signed release, staged rollout)"
	@echo "make bench  - run the benchmarks (prints a table, writes bench/results/*.json)"
	@echo "make model  - regenerate the shipped baseline model in models/ (deterministic)"

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q "$(TORCH_SPEC)"
	$(BIN)/pip install -q -e ".[$(EXTRAS)]"
	touch $(STAMP)

venv: $(STAMP)

system-deps:
	bash scripts/install-system-deps.sh

services: system-deps
	bash scripts/start-services.sh

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

unit: venv
	$(BIN)/pytest -q

test: system-deps services venv console-assets lint typecheck unit

demo: venv
	bash scripts/install-system-deps.sh demo
	$(MAKE) console-assets
	$(BIN)/python scripts/demo.py

demo-ota: venv
	bash scripts/install-system-deps.sh demo
	$(MAKE) console-assets
	$(BIN)/python scripts/demo.py --ota

bench: venv
	$(BIN)/python -m bench

model: venv
	$(BIN)/pm25-train baseline

# The console's third-party browser files (uPlot), from the committed npm lock, copied into
# cloud_hub/console/static/vendor/ (gitignored); the hub serves nothing from a CDN.
console-assets:
	cd cloud_hub/console && npm ci --no-audit --no-fund --silent
	mkdir -p cloud_hub/console/static/vendor
	cp cloud_hub/console/node_modules/uplot/dist/uPlot.esm.js cloud_hub/console/node_modules/uplot/dist/uPlot.min.css cloud_hub/console/static/vendor/

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build *.egg-info
