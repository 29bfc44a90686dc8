# Two commands do all set-up on a fresh Debian machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

BOZ_HOME  ?= $(HOME)/.boz-ripper
DEMO_DISC ?= $(BOZ_HOME)/samples/SAMPLE_SHOW_S1_D1
DEMO_PORT ?= 4200
export BOZ_HOME

.PHONY: install system-deps test-deps demo test lint bench clean

install: $(STAMP) system-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# ffmpeg/ffprobe from Debian's packages when the machine lacks them.
system-deps:
	@command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || { \
	  echo "installing ffmpeg from Debian's packages"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq ffmpeg >/dev/null; }

# What only the tests need: a PostgreSQL server (started by the tests on loopback) and
# Chromium for the browser test, from Debian's packages when missing.
test-deps:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing from Debian's packages"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

# A sample TV disc through the whole pipeline on SQLite and a local Prefect server. The
# demo's settings go into $BOZ_HOME/config.toml (unless it sets them already), so the
# commands it suggests next behave the same; its extra is long enough to be kept.
demo: install
	@$(BIN)/boz sample-disc "$(DEMO_DISC)" --episodes 3 --seconds 20 --extras 1 --extra-seconds 12
	@config="$(BOZ_HOME)/config.toml"; mkdir -p "$(BOZ_HOME)"; touch "$$config"; \
	grep -q '^min_title_seconds' "$$config" || { \
	  echo "# make demo: its sample disc's titles are seconds long" >> "$$config"; \
	  echo "min_title_seconds = 10" >> "$$config"; }; \
	grep -q '^server_port' "$$config" || echo "server_port = $(DEMO_PORT)" >> "$$config"; \
	echo "settings: $$config"
	@url="$${PREFECT_API_URL:-}"; \
	if [ -z "$$url" ]; then \
	  echo "starting the Prefect server: UI at http://127.0.0.1:$(DEMO_PORT) (the first start takes a minute)"; \
	  url=$$($(BIN)/boz server start --port $(DEMO_PORT) --url-only) || exit 1; \
	fi; \
	echo "Prefect UI: $${url%/api} (watch the run there)"; \
	PREFECT_API_URL=$$url $(BIN)/boz rip "$(DEMO_DISC)" --yes || exit 1; \
	echo; echo "Library $$($(BIN)/boz where library):"; \
	cd "$$($(BIN)/boz where library)" && find . -mindepth 1 | sort | sed -e 's|[^/]*/|  |g'; \
	echo; echo "Prefect UI (the run is there): $${url%/api}"; \
	echo "Next: $(BIN)/boz discs | jobs | seasons | disc 1 (same settings, same server)"

# Four workers on any machine: most tests wait on servers and subprocesses, not the CPU.
# Each worker has its own Prefect and PostgreSQL servers.
# Tests are handed out two at a time (xdist's first hand-out is a quarter of each worker's
# share, which would give the slow tests, collected first, all to one worker).
TEST_WORKERS ?= 4
test: install test-deps
	$(BIN)/pytest -q -n $(TEST_WORKERS) --maxschedchunk 2

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python benchmarks/overhead.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
