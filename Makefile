# The README's commands. Each target sets up .venv on first use (Python 3.11+).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

export CRM_INBOX_DIR ?= data/inbox
export CRM_WAREHOUSE_PATH ?= data/warehouse.duckdb
export CRM_REPORTS_DIR ?= data/reports
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home

# Debian's Chromium drives the report tests (Playwright never downloads a browser here); Noto CJK
# renders the Chinese pages. apt needs root: sudo when make does not run as root.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

SAMPLE_CUSTOMERS ?= 2000
SAMPLE_SEED ?= 7

.PHONY: setup browser sample run test dev bench lint clean

$(INSTALLED): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(INSTALLED)

setup: $(INSTALLED)
	@mkdir -p "$(DAGSTER_HOME)"
	@test -f "$(DAGSTER_HOME)/dagster.yaml" || cp pipelines/dagster.yaml "$(DAGSTER_HOME)/dagster.yaml"

browser:
	@if [ ! -x "$(CHROMIUM)" ] || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then \
		echo "Installing Debian's chromium and fonts-noto-cjk for the browser tests"; \
		$(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-noto-cjk; \
	fi

# Sample exports, only when the inbox holds no file yet (your own exports are never overwritten).
sample: setup
	@if [ -z "$$(find "$(CRM_INBOX_DIR)" -type f 2>/dev/null | head -n 1)" ]; then \
		echo "Inbox $(CRM_INBOX_DIR) is empty: generating sample exports ($(SAMPLE_CUSTOMERS) customers)"; \
		$(BIN)/python -m pipelines.tools.sample_data --customers $(SAMPLE_CUSTOMERS) --seed $(SAMPLE_SEED) \
			--out "$(CRM_INBOX_DIR)"; \
	fi

run: sample
	$(BIN)/python -m pipelines run

# One pytest worker per core, each test module (or class) on one worker so its shared warehouse is
# built once. Modules are handed out in collection order, so the generative tests (the longest
# units: the command-line examples, then the eight parts of the fast path) start first. The generative tests draw the same 200
# examples on every run (profile ci).
TEST_WORKERS ?= auto
test: setup browser
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder

dev: sample
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: setup browser
	$(BIN)/python -m pipelines.tools.benchmark

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf data/inbox data/truth data/warehouse.duckdb data/warehouse.duckdb.wal data/reports
