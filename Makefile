# The two commands: `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DIR ?= demo-output
WHEELS ?= $(HOME)/.cache/labelcollections/wheels
VIEWER_VENDOR := src/labelcollections/server/static/vendor

.PHONY: demo test lint typecheck unit benchmarks reliability clean omero-wheel bundle omero-coverage postgresql

$(STAMP): pyproject.toml tools/build_zeroc_ice.py $(VIEWER_VENDOR)/openseadragon.min.js
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python tools/build_zeroc_ice.py --wheels $(WHEELS)
	$(BIN)/python -m pip install --quiet --find-links $(WHEELS) -e ".[dev,omero]"
	touch $(STAMP)

# The viewer's browser library, pinned in web/package-lock.json, bundled into the package.
$(VIEWER_VENDOR)/openseadragon.min.js: web/package.json web/package-lock.json
	command -v npm >/dev/null || (apt-get update && apt-get install -y nodejs npm)
	cd web && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VIEWER_VENDOR)
	cp web/node_modules/openseadragon/LICENSE.txt $(VIEWER_VENDOR)/openseadragon-LICENSE.txt
	cp web/node_modules/openseadragon/build/openseadragon/openseadragon.min.js $@

bundle: $(VIEWER_VENDOR)/openseadragon.min.js

# The browser tests drive Debian's Chromium.
/usr/bin/chromium:
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

# The catalog tests and benchmark start throw-away servers of Debian's PostgreSQL.
postgresql:
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || \
		(apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql)

demo: $(STAMP)
	rm -rf $(DEMO_DIR)
	$(BIN)/labelcollections demo $(DEMO_DIR)

lint: $(STAMP)
	$(BIN)/ruff format --check src tests benchmarks tools
	$(BIN)/ruff check src tests benchmarks tools

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) /usr/bin/chromium postgresql
	$(BIN)/python -m pytest -n 2 -q

test: lint typecheck unit

BENCHMARKS := write_labels instances compare tiles masks big_image polygons catalog_query ingest

# Crash trials and concurrent writers (docs/reliability.md); about an hour on 2 cores.
reliability: $(STAMP) postgresql
	$(BIN)/python tools/crash_trials.py --trials 200
	$(BIN)/python tools/concurrent_writers.py --writers 8 --rounds 10
	$(BIN)/python tools/concurrent_writers.py --writers 8 --rounds 10 --postgresql

benchmarks: $(STAMP) postgresql
	for name in $(BENCHMARKS); do $(BIN)/python benchmarks/$$name.py || exit 1; done

# Lines of every module that calls omero-py run by the OMERO tests (docs/omero.md).
omero-coverage: $(STAMP)
	$(BIN)/python -m coverage run -m pytest -q -p no:randomly tests/omero
	$(BIN)/python -m coverage report --show-missing

# zeroc-ice 3.6.5 (needed by omero-py) has no wheel for this Python on PyPI: build it once.
omero-wheel:
	$(PYTHON) tools/build_zeroc_ice.py --wheels $(WHEELS)

clean:
	rm -rf $(VENV) $(DEMO_DIR) .mypy_cache .ruff_cache .pytest_cache
