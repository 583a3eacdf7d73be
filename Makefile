# Two commands (see README.md):  make run   |   make test
VENV   ?= .venv
PYTHON ?= python3
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test install browser postgis demo lint bench clean screenshots

# The project and its dependencies from PyPI, including the browser files the web app
# serves itself (XStatic-Leaflet, XStatic-Leaflet-MarkerCluster; Leaflet.heat comes with
# folium): nothing is fetched from a CDN at run time and nothing third-party is committed.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/python -c "from hotspots.draw.assets import vendor_files; \
	  missing = [str(p) for p in vendor_files() if not p.is_file()]; \
	  assert not missing, f'map assets missing: {missing}'"
	touch $(STAMP)

install: $(STAMP)

## run: set up and serve the web app on the embedded demo (http://127.0.0.1:5000, no login
## on loopback); Ctrl+C stops it
run: $(STAMP)
	$(BIN)/hotspots serve --host $(HOST) --port $(PORT)

## demo: the command-line pipeline on the embedded demo (files in out/demo)
demo: $(STAMP)
	$(BIN)/hotspots demo

## screenshots: the README's images (docs/borough-map.png, docs/tasking-sheet.png) from the demo
screenshots: $(STAMP) browser
	$(BIN)/python docs/make_screenshots.py

## browser: Debian's chromium for the Playwright browser tests (needs root, as on CI)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

## postgis: Debian's PostgreSQL + PostGIS for the store tests (apt as root, as on CI; nothing
## to do when installed). The tests start their own server on 127.0.0.1 as user postgres.
PG_READY = ls /usr/lib/postgresql/*/bin/initdb /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1
postgis:
	@if $(PG_READY); then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "installing postgresql and postgis (Debian packages)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends postgresql postgresql-postgis >/dev/null && $(PG_READY); \
	else echo "PostgreSQL/PostGIS missing and not root: run 'sudo make postgis'" \
	  "(the PostGIS store tests fail in CI and skip here)"; fi

## test: set up, check the style and the layers, and run the whole test suite
test: $(STAMP) browser postgis lint
	$(BIN)/python -m pytest

## lint: ruff (lint and format) and the import layers (pyproject.toml [tool.importlinter])
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) out .pytest_cache
