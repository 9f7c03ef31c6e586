# pgd_nb: the two README commands are `make report DOMAIN=<domain>` and `make test`.
# Everything runs in .venv, created on first use. torch is installed from its CPU wheel
# first, so that the package's plain `torch` requirement does not pull a CUDA build.

SHELL  := /bin/bash
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
TORCH  ?= torch==2.13.0
DOMAIN ?= astronomy
RUN    ?= latest
DATA_ROOT ?=
KIMG   ?= 6
BATCH  ?= 16
PRESET ?= tiny
STAMP  := $(VENV)/.pgd_nb-installed
DOMAINS := photography microscopy astronomy

.PHONY: help install test check-clean check-export nbtest pytest report lab clean-venv

help:
	@echo "make report DOMAIN=astronomy   main job: data -> train -> restore -> evaluate -> HTML report (KIMG=, BATCH=, PRESET=, DATA_ROOT=)"
	@echo "make test                      all checks: clean notebooks, library in sync, notebook tests, pytest"
	@echo "make lab                       JupyterLab on nbs/ with the project's environment"
	@echo "make install                   create $(VENV) and install the package (done by the others)"

install: $(STAMP)

$(STAMP): settings.ini setup.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $(TORCH)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $(STAMP)

# Fingerprint of every file under a folder (name + content), to detect changes made by a tool.
fingerprint = find $(1) -type f \( -name '*.ipynb' -o -name '*.py' \) -not -path '*/.ipynb_checkpoints/*' -not -path '*/__pycache__/*' | LC_ALL=C sort | xargs md5sum

check-clean: install
	@before="$$($(call fingerprint,nbs))"; \
	$(BIN)/nbdev_clean || exit 1; \
	after="$$($(call fingerprint,nbs))"; \
	if [ "$$before" != "$$after" ]; then \
	  echo "FAIL: nbdev_clean changed these notebooks (they are now cleaned in place; review and commit them):"; \
	  diff <(echo "$$before") <(echo "$$after") | grep '^>' | awk '{print "  " $$3}'; exit 1; \
	fi; echo "ok: notebooks are clean"

check-export: install
	@before="$$($(call fingerprint,pgd_nb))"; \
	$(BIN)/nbdev_export || exit 1; \
	after="$$($(call fingerprint,pgd_nb))"; \
	if [ "$$before" != "$$after" ]; then \
	  echo "FAIL: nbdev_export changed pgd_nb/ (the library was out of sync with nbs/; it is now regenerated, commit it):"; \
	  diff <(echo "$$before") <(echo "$$after") | grep '^[<>]' | awk '{print "  " $$3}' | sort -u; exit 1; \
	fi; echo "ok: pgd_nb/ matches nbs/"

nbtest: install
	MPLBACKEND=Agg $(BIN)/nbdev_test --flags slow --do_print

pytest: install
	MPLBACKEND=Agg $(BIN)/python -m pytest tests/ -q

test: check-clean check-export nbtest pytest
	@echo "make test: all checks passed"


# DATA_ROOT: a dataset in one of the known layouts; empty = the embedded demo data, generated into .cache/
report: install
	@case " $(DOMAINS) " in *" $(DOMAIN) "*) ;; *) echo "DOMAIN=$(DOMAIN) is not a domain; use one of: $(DOMAINS)"; exit 2;; esac
	@mkdir -p reports/$(DOMAIN)/$(RUN)
	@if [ -z "$(DATA_ROOT)" ]; then \
	  echo "report: [1/5] demo data for $(DOMAIN) -> .cache/demo/$(DOMAIN)"; \
	  $(BIN)/pgd_demo_data --domain $(DOMAIN) --out .cache/demo/$(DOMAIN) || exit 1; \
	fi
	@echo "report: [2/5] preprocessing -> .cache/tiles/$(DOMAIN)"
	@$(BIN)/pgd_preprocess --domain $(DOMAIN) --data_root $(or $(DATA_ROOT),.cache/demo/$(DOMAIN)) --out .cache/tiles || exit 1
	@n=3; for step in train restore evaluate; do \
	  if [ ! -f nbs/$$step.ipynb ]; then \
	    echo "report: [$$n/5] step '$$step' is not implemented yet (nbs/$$step.ipynb does not exist); stopping after the steps that exist."; \
	    echo "report: what exists is in .cache/ (demo data, tiles, runs) and reports/$(DOMAIN)/$(RUN)/."; \
	    exit 0; \
	  fi; \
	  echo "report: [$$n/5] running $$step for $(DOMAIN)"; \
	  MPLBACKEND=Agg $(BIN)/papermill nbs/$$step.ipynb reports/$(DOMAIN)/$(RUN)/$$step.ipynb -p domain $(DOMAIN) \
	    -p data_root $(CURDIR)/.cache/tiles -p report_dir $(CURDIR)/reports/$(DOMAIN)/$(RUN) \
	    -p kimg $(KIMG) -p batch $(BATCH) -p preset $(PRESET) --cwd nbs || exit 1; \
	  $(BIN)/jupyter nbconvert --to html reports/$(DOMAIN)/$(RUN)/$$step.ipynb || exit 1; \
	  n=$$((n+1)); \
	done; echo "report: written to reports/$(DOMAIN)/$(RUN)/"

lab: install
	$(BIN)/python -m pip install --quiet jupyterlab
	$(BIN)/nbdev_install_hooks
	$(BIN)/jupyter lab nbs/

clean-venv:
	rm -rf $(VENV)
