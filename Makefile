# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-quick install clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# CPU build on this machine's disk; install it first so nothing pulls a CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[dev,tune]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m softrl.demo

test: $(STAMP)
	$(PY) -m pytest -q

# Every figure of bench/RESULTS.md: creates the peers' venvs under bench/ when missing, runs each
# bench with its own, rewrites RESULTS.md's generated blocks. QUICK=1: tiny budgets, a smoke run.
# ONLY="softq pg": some benches.
bench: $(STAMP)
	$(PY) bench/run_all.py $(if $(filter 1 yes true,$(QUICK)),--quick) $(if $(ONLY),--only $(ONLY))

bench-quick: $(STAMP)
	$(PY) bench/run_all.py --quick $(if $(ONLY),--only $(ONLY))

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench examples

clean:
	rm -rf $(VENV) out build *.egg-info
