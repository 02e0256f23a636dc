# colnato-qa: `make run` starts the chatbot, `make test` runs the whole suite, `make check` the fast tier.
# All set up .venv/ first and are quick when already set up. `make run` installs only what serving needs
# (the package and its dependencies: no test extras, no npm); `make test` (via `make install`) adds the
# test and bench extras and axe-core from npm.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The package, editable, with what serving (and building the index) needs.
SERVE_STAMP := $(VENV)/.serve-stamp
# ... plus the test and bench extras.
DEV_STAMP   := $(VENV)/.dev-stamp
# axe-core (the browser tests' accessibility checker), from package-lock.json; needs npm.
AXE    := node_modules/axe-core/axe.min.js
INDEX  ?= index
# The fast tier: unit and engine tests; no browser, no load test, no server in a subprocess.
FAST   := not slow and not browser and not server
# The gold sets `make eval` reports, each FILE or FILE:SPLIT: the article-worded test split and the
# natural-phrasing test set. Add a file here to report it too (its report goes to reports/eval/<name>/).
EVAL_GOLD ?= corpus/gold/colnato_gold.jsonl:test corpus/gold/forms/test.jsonl corpus/gold/natural/test.jsonl

.PHONY: install serve-install index run test check bench eval eval-baseline clean-index help

help:
	@echo "make run    - set up .venv (serving only), build the index if needed, start the chatbot on http://127.0.0.1:7860"
	@echo "make test   - set up .venv and run the whole test suite"
	@echo "make check  - the fast tier of the suite (under a minute): unit and engine tests"
	@echo "make bench  - run the benchmarks (writes benchmarks/results/*.json and benchmarks/README.md)"
	@echo "make eval   - evaluate on the test sets of EVAL_GOLD (article-worded and natural) and write reports/eval/*/"
	@echo "make eval-baseline - rewrite config/eval_baseline*.json, the figures the evaluation gate holds to"
	@echo "make clean-index   - remove the built index (generations, manifest, lock) from INDEX=$(INDEX)"

# Everything the suite needs.
install: $(DEV_STAMP) $(AXE)

# What serving needs.
serve-install: $(SERVE_STAMP)

$(SERVE_STAMP): pyproject.toml setup.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(SERVE_STAMP)

$(DEV_STAMP): $(SERVE_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@touch $(DEV_STAMP)

$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(AXE)

index: serve-install
	$(BIN)/colnato-qa build

run: index
	$(BIN)/colnato-qa serve

test: install
	$(BIN)/python -m pytest

check: $(DEV_STAMP)
	$(BIN)/python -m pytest -m "$(FAST)"

bench: index $(DEV_STAMP)
	$(BIN)/python -m benchmarks

eval: index
	@set -e; for gold in $(EVAL_GOLD); do \
	  out=reports/eval/$$(echo "$$gold" | sed -e 's#^corpus/gold/##' -e 's#\.jsonl##' -e 's#[/:]#-#g'); \
	  echo "== $$gold (report in $$out)"; \
	  $(BIN)/colnato-qa eval "$$gold" --by type --compare --out "$$out"; \
	done

eval-baseline: index
	$(BIN)/colnato-qa eval corpus/gold/colnato_gold.jsonl --split test --write-baseline config/eval_baseline.json
	$(BIN)/colnato-qa eval corpus/gold/forms/test.jsonl --write-baseline config/eval_baseline_forms.json

clean-index:
	rm -rf $(INDEX)/g-* $(INDEX)/.tmp-g-* $(INDEX)/manifest.json $(INDEX)/.build.lock
