# make demo : HHCL vs its starting models, the supervised upper bounds and the stock
#             FastReID baseline on the embedded synthetic data (creates .venv on first use)
# make test : the test suite (creates .venv on first use)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export FASTREID_DATASETS ?= $(CURDIR)/datasets

.PHONY: demo test install clean-venv

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-test.txt constraints.txt setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-test.txt -c constraints.txt
	$(PY) -m pip install --quiet --no-deps -c constraints.txt fastreid
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

demo: install
	PYTHONUNBUFFERED=1 $(PY) tools/demo.py --output logs/demo

test: install
	$(PY) -m pytest tests -q

clean-venv:
	rm -rf $(VENV)
