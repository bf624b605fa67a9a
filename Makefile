# One virtual environment in .venv holds everything; every target installs what it needs first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The CPU build of torch 2.13.0 is installed first so that the torch extra needs nothing more.
TORCH_PIN ?= torch==2.13.0

.PHONY: install demo test test-full audit-full audit-mutants docs lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_PIN)"
	$(BIN)/python -m pip install --quiet -e ".[all]"
	touch $(STAMP)

install: $(STAMP)

demo: install  ## the main job on defaults: compress a point cloud, then audit four claims of the paper
	$(BIN)/unicomp demo
	$(BIN)/unicomp audit --claims TCHAKALOFF,NEWTON,PACKING,BOOST --out demo-report

test: install  ## unit tests, doctests and the quick tier of the paper audit
	$(BIN)/python -m pytest

test-full: install  ## the audit at the paper's scale (hours)
	$(BIN)/python -m pytest paper_checks --full

WORKERS ?= 1
audit-full: install  ## the audit at the paper's scale, resumable, in WORKERS processes sharing the units: paper_checks/evidence/
	@mkdir -p paper_checks/report; for i in $$(seq 2 $(WORKERS)); do \
		$(BIN)/unicomp audit --full --out paper_checks/evidence > paper_checks/report/audit-full-worker-$$i.log 2>&1 & \
	done; \
	$(BIN)/unicomp audit --full --out paper_checks/evidence; wait

audit-mutants: install  ## every claim's check under every one of its planted defects (the kill matrix)
	$(BIN)/unicomp audit --mutants --out paper_checks/report

docs: install
	$(BIN)/sphinx-build -W --keep-going -n -b html docs docs/_build/html

lint: install
	$(BIN)/ruff check unicomp tests paper_checks benchmarks
	$(BIN)/mypy unicomp

bench: install  ## speed and memory benchmarks (tens of minutes); results in benchmarks/results/
	OPENBLAS_NUM_THREADS=1 $(BIN)/python benchmarks/bench_recombine.py
	OPENBLAS_NUM_THREADS=1 $(BIN)/python benchmarks/bench_compress.py
	OPENBLAS_NUM_THREADS=1 $(BIN)/python benchmarks/bench_distributed.py

clean:
	rm -rf $(VENV) docs/_build paper_checks/report demo-report .pytest_cache .hypothesis
