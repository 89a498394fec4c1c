# Two commands for a fresh machine (see README):
#   make setup   install everything into .venv, then run the main job (prove the bank and its checks,
#                build the site)
#   make test    run every check and every test
# The torch CPU wheel is installed first: a bare `pip install torch` would pull a multi-GB CUDA build.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH_SPEC ?= torch==2.13.0
REPORT := build/verification.json

.PHONY: setup install browser main verify proofs site test test-slow mutants clean

setup: install browser main

install:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e ".[dev,docs,browser,oracles]"
	$(BIN)/python -m compileall -q qbank  # bytecode up front: the quiz starts faster where none is written

# Chromium for the browser test, from Debian's packages (no browser download works here).
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium not installed: the browser test will be skipped"; }

# The site is built even when a check fails, so it shows the failure; the exit status still reports it.
main:
	@status=0; $(MAKE) --no-print-directory verify || status=$$?; \
	$(MAKE) --no-print-directory proofs || status=$$?; \
	$(MAKE) --no-print-directory site && exit $$status

# Prove every claim, writing the verdicts the site shows; then check every link of the bank. The check
# files' assertion-rewritten bytecode is kept, so `qbank grade` and `make test` do not rewrite them again.
verify:
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest checks -q -p no:cacheprovider --qbank-report $(REPORT)
	$(BIN)/qbank validate

# Prove the checks themselves (tests/proof_runs.py, ~1 min on 2 cores): each check that grades code
# fails for a classic bug (the kill matrix) and passes with PyTorch's and Hugging Face's own code and
# with GPT-2- and LLaMA-style code bases; writes build/check-proofs.json, shown on each check's page.
# `make test` asserts on the same runs, and reuses them while nothing they read has changed.
proofs:
	$(BIN)/python -m tests.proof_runs

site:
	NO_MKDOCS_2_WARNING=true $(BIN)/mkdocs build --strict --quiet

# Both cores (pytest-xdist, one test file per worker at a time); assertion-rewritten check modules
# cached as bytecode; one torch thread per process (the workers already fill the cores); the checks'
# Hypothesis database in build/ (tests/test_cli_grading.py watches the bank's .hypothesis: no
# check running beside it may write there). checks/ is left out when $(REPORT) holds a passing run
# of every check on the very same inputs (conftest.py: --reuse-verdicts); QBANK_TEST_CACHE=0 runs all.
test:
	PYTHONDONTWRITEBYTECODE= OMP_NUM_THREADS=1 HYPOTHESIS_STORAGE_DIRECTORY=build/.hypothesis \
	  $(BIN)/pytest -q -m "not slow" -n auto --dist loadfile --reuse-verdicts=$(REPORT)

# Minutes-long proofs kept out of `make test`: every statistical check re-run for 200 seeds.
test-slow:
	$(BIN)/pytest -q -m slow

# Mutation testing: mutmut mutates solutions/ and runs checks/ against each mutant (~30-45 min on
# 2 busy cores); build/mutants.md lists every survivor not in tests/equivalent_mutants/ (exit 1
# if any). `make mutants MUTANTS='solutions.rope*'` tries only the functions those names match.
MUTANTS ?=
mutants:
	rm -rf mutants
	CI=true $(BIN)/mutmut run --max-children 2 $(MUTANTS)
	$(BIN)/python scripts/mutants.py --report build/mutants.md $(MUTANTS)

clean:
	rm -rf build .pytest_cache .hypothesis mutants
