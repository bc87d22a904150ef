# The two commands a new user needs: `make demo` and `make test`. Both install everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install system-deps demo test lint typecheck unit eval bench clean tf-check checkov

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev,sandbox,graphs]"
	touch $@

# The real Prometheus and Alertmanager servers the sandbox runs (Debian packages).
system-deps:
	@if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null \
	    || ! command -v prometheus-alertmanager >/dev/null; then \
	  echo "installing prometheus and prometheus-alertmanager with apt-get"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    prometheus prometheus-alertmanager >/dev/null; \
	fi

demo: install system-deps
	$(BIN)/sre-on-call demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo --no-cache

typecheck: install
	$(BIN)/mypy

test: install system-deps lint typecheck tf-check checkov
	$(BIN)/pytest

# Terraform formatting (no init: providers cannot be downloaded everywhere).
TERRAFORM := $(or $(shell command -v terraform 2>/dev/null),/usr/local/bin/terraform)
tf-check:
	@if [ -x "$(TERRAFORM)" ]; then \
	  $(TERRAFORM) fmt -check -recursive modules examples && echo "tf-check: terraform fmt clean"; \
	else echo "tf-check: terraform not installed, skipping terraform fmt"; fi

# checkov lives in its own venv: its pins conflict with the project's dependencies.
CHECKOV_VENV := .venv-checkov
# Pinned: a new checkov release adds checks, and make test should not start failing on its own.
CHECKOV_VERSION := 3.3.30
# The stamp names the version, so changing CHECKOV_VERSION reinstalls into an existing venv.
$(CHECKOV_VENV)/.checkov-$(CHECKOV_VERSION):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q checkov==$(CHECKOV_VERSION)
	touch $@

checkov: $(CHECKOV_VENV)/.checkov-$(CHECKOV_VERSION)
	$(CHECKOV_VENV)/bin/checkov -d modules/ --framework terraform --quiet --compact --skip-download

eval: install system-deps
	$(BIN)/sre-on-call eval examples/scenarios --json build/eval.json; status=$$?; \
	  $(BIN)/python scripts/eval_table.py build/eval.json; exit $$status

bench: install system-deps
	mkdir -p build
	$(BIN)/python scripts/bench_fanout.py --json build/bench_fanout.json
	$(BIN)/python scripts/bench_intake.py --json build/bench_intake.json
	$(BIN)/python scripts/bench_logs.py --json build/bench_logs.json
	if [ -d ../shared/loghub ]; then $(BIN)/python scripts/bench_logs.py --loghub ../shared/loghub --json build/bench_loghub.json; fi
	$(BIN)/python scripts/bench_prompt.py --json build/bench_prompt.json
	$(BIN)/python scripts/bench_eks_scan.py --json build/bench_eks_scan.json

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) build .mypy_cache .ruff_cache
