# Two commands do all the set-up on a fresh machine:
#   make demo   - create .venv if needed, then inpaint the bundled Big Buck Bunny excerpt
#   make test   - create .venv if needed, then run the default test suite (not `slow`)
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test test-slow lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# The CPU build of PyTorch first: an unpinned torch would pull gigabytes of CUDA packages.
	$(BIN)/python -m pip install -q --disable-pip-version-check torch==2.13.0
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/restore demo -o demo-output

test: $(BIN)/.installed
	sh scripts/ensure_chromium.sh || true
	$(BIN)/python -m pytest

test-slow: $(BIN)/.installed
	$(BIN)/python -m pytest -m slow

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/fit_speed.py

clean:
	rm -rf demo-output .pytest_cache
