# Two commands for a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
FAQBOT_HOST ?= 127.0.0.1
FAQBOT_PORT ?= 8000
export FAQBOT_HOST FAQBOT_PORT

# Debian packages (package:command that proves it is there) each step needs; installed by
# tools/system_packages.sh with apt-get when root, else it names the command to run and stops.
TEST_SYSTEM := chromium:/usr/bin/chromium
BENCH_SYSTEM := $(TEST_SYSTEM) wrk:wrk

.PHONY: install system system-bench lock run test index bench clean

install: $(STAMP)

# What the tests need outside Python: the browser tests are mandatory, so Chromium is installed
# here rather than skipped (same on a laptop as in CI; .ci/run only calls `make test`).
system:
	@bash tools/system_packages.sh $(TEST_SYSTEM)

system-bench:
	@bash tools/system_packages.sh $(BENCH_SYSTEM)

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

# Rebuild only when the published index is missing or older than a file of the corpus: the
# articles and the editors' rules and wording (safety.yaml, responses.yaml, glossary.yaml,
# calibration.json) are all copied into the version, so a change to any needs a build.
index: install
	@if [ ! -f index/current ] || [ -n "$$(find corpus -newer index/current -type f | head -n 1)" ]; then \
		$(BIN)/faqbot build; \
	else echo "index is up to date ($$(cat index/current))"; fi

run: index
	$(BIN)/faqbot serve --host $(FAQBOT_HOST) --port $(FAQBOT_PORT)

test: system install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	$(BIN)/pytest

# The benchmark (not run by CI): about 15 minutes on 2 cores; BENCH_ARGS=--quick smoke-tests it.
bench: system-bench install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) index/current index/versions
