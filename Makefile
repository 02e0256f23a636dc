# colnato-qa: `make run` starts the chatbot, `make test` runs the whole suite.
# Both set everything up in .venv/ first (via `make install`) and are quick when already set up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install index run test bench eval clean-index help

help:
	@echo "make run    - set up .venv, build the index if needed, start the chatbot on http://127.0.0.1:7860"
	@echo "make test   - set up .venv and run the whole test suite"
	@echo "make bench  - run the benchmarks (writes benchmarks/results/*.json and benchmarks/README.md)"
	@echo "make eval   - evaluate on the project's gold set (test split) and write reports/eval/"

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@touch $(STAMP)

index: install
	$(BIN)/colnato-qa build

run: index
	$(BIN)/python app.py

test: install
	$(BIN)/python -m pytest

bench: index
	$(BIN)/python -m benchmarks

eval: index
	$(BIN)/colnato-qa eval corpus/gold/colnato_gold.jsonl --split test --by type --compare --out reports/eval

clean-index:
	rm -rf index/*.faiss index/*.json index/*.npy index/*.jsonl index/bm25
