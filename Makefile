# pgd_nb: the two README commands are `make report DOMAIN=<domain>` and `make test`.
# Everything runs in .venv, created on first use. torch is installed from its CPU wheel
# first, so that the package's plain `torch` requirement does not pull a CUDA build.

SHELL  := /bin/bash
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
TORCH  ?= torch==2.13.0
DOMAIN ?= all
DATA_ROOT ?=
KIMG   ?=
PRESET ?= demo
STAMP  := $(VENV)/.pgd_nb-installed
DOMAINS := photography microscopy astronomy

.PHONY: help install test check-clean check-export nbtest pytest report results lab clean-venv

help:
	@echo "make report DOMAIN=astronomy   main job: data -> train -> restore -> evaluate -> HTML report (PRESET=demo|smoke|gpu, KIMG=, DATA_ROOT=; no DOMAIN: all three)"
	@echo "make report DOMAIN=cross       one network for three domains against one per domain: reports/cross/<run>/cross.html"
	@echo "make test                      all checks: clean notebooks, library in sync, notebook tests, pytest"
	@echo "make results                   docs/results.md and docs/demo.png from the newest finished demo reports"
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

# nbdev_test runs one notebook per core; one thread each keeps two torch notebooks from fighting over two cores.
# --timing lists each notebook's seconds at the end, --durations the slowest tests: a slow CI run can be read from its log.
nbtest: install
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 MPLBACKEND=Agg $(BIN)/nbdev_test --flags slow --do_print --timing

# Two workers, one thread each, one test file per worker (its module fixtures are built once): most tests wait on
# subprocesses or run small torch jobs, which two single-threaded workers overlap well on two cores.
pytest: install
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 MPLBACKEND=Agg $(BIN)/python -m pytest tests/ -q --durations=15 -n 2 --dist loadfile

# The machine it ran on and each stage's seconds, so that a slow or failing run can be read from its log.
machine = echo "== machine: $$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')\
$$(grep -qw avx512f /proc/cpuinfo && echo 'with AVX-512' || echo 'without AVX-512'), $$(nproc) cores,\
 $$(free -g 2>/dev/null | awk '/^Mem:/ {print $$2 " GiB"}'), $$(uname -sr), $$($(PYTHON) --version 2>&1)"
stage = s=$$(date +%s); $(MAKE) --no-print-directory $(1) || { echo "== stage $(1) FAILED after $$(( $$(date +%s) - s )) s"; exit 1; };\
 echo "== stage $(1): $$(( $$(date +%s) - s )) s"

test:
	@$(machine)
	@t0=$$(date +%s); \
	$(call stage,install); $(call stage,check-clean); $(call stage,check-export); $(call stage,nbtest); $(call stage,pytest); \
	echo "== make test: all checks passed in $$(( $$(date +%s) - t0 )) s"


# DOMAIN: one of $(DOMAINS), all (the default), or cross (one network for all domains against one per domain); DATA_ROOT: a raw dataset in a known layout (empty = the embedded demo data);
# PRESET: demo (CPU minutes), smoke (seconds) or gpu; KIMG: override the training length.
report: install
	@case " all cross $(DOMAINS) " in *" $(DOMAIN) "*) ;; *) echo "DOMAIN=$(DOMAIN) is not a domain; use one of: $(DOMAINS) (or all, or cross)"; exit 2;; esac
	$(BIN)/pgd_report --domain $(DOMAIN) --preset $(PRESET) $(if $(DATA_ROOT),--data_root $(DATA_ROOT)) $(if $(KIMG),--kimg $(KIMG))

lab: install
	$(BIN)/python -m pip install --quiet jupyterlab
	$(BIN)/nbdev_install_hooks
	$(BIN)/jupyter lab nbs/

clean-venv:
	rm -rf $(VENV)

# The one place the headline figures are written: README and docs point to docs/results.md.
results: install
	$(BIN)/python -c 'from pgd_nb.reports import write_results; print(write_results("reports", "docs/results.md"))'
