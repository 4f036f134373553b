# Two commands for a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
FAQBOT_HOST ?= 127.0.0.1
FAQBOT_PORT ?= 8000
export FAQBOT_HOST FAQBOT_PORT

.PHONY: install lock run test index bench clean

install: $(STAMP)

# Reproducible: exactly the versions and hashes in requirements.lock (torch is the pinned CPU
# build from /opt/wheels; an unpinned torch would pull a multi-GB CUDA build), then faqbot itself
# without dependencies, then a check that the lock covers everything pyproject.toml asks for.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --require-hashes -r $(LOCK)
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	$(BIN)/python tools/check_installed.py
	touch $(STAMP)

# Re-resolve the lock after changing dependencies in pyproject.toml (or torch.in).
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/pip-compile || $(BIN)/pip install -q --disable-pip-version-check pip-tools
	$(BIN)/pip-compile -q --generate-hashes --allow-unsafe --extra dev --no-strip-extras \
		--no-emit-index-url -o $(LOCK) pyproject.toml torch.in

# Rebuild only when the published index is missing or older than an article or the responses
# (safety rules and thresholds are read at start-up and need no rebuild).
index: install
	@if [ ! -f index/current ] || [ -n "$$(find corpus -newer index/current -type f \( -name '*.md' -o -name responses.yaml \) | head -n 1)" ]; then \
		$(BIN)/faqbot build; \
	else echo "index is up to date ($$(cat index/current))"; fi

run: index
	$(BIN)/faqbot serve --host $(FAQBOT_HOST) --port $(FAQBOT_PORT)

test: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	$(BIN)/pytest

# The benchmark (not run by CI): about 15 minutes on 2 cores; BENCH_ARGS=--quick smoke-tests it.
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) index/current index/versions
