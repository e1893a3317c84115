# Two commands for a newcomer on a fresh machine (python3 >= 3.11 and make are all it needs):
#   make demo   set up, then rehearse the whole DR lifecycle on an emulated AWS
#   make test   set up, then lint and run the whole test suite (what CI runs)
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint unit benchmarks schema soak acceptance constraints clean

$(STAMP): requirements.txt requirements-dev.txt policies/requirements.txt constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/python scripts/rehearse.py

test: lint unit
	$(BIN)/python scripts/validate_plan.py --strict continuity-plan.yaml examples/plans/*.yaml > /dev/null

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Bytecode first: the suite starts a Python process per script run, and an environment with
# PYTHONDONTWRITEBYTECODE would otherwise compile the repository's modules again in every one.
unit: setup
	$(BIN)/python -m compileall -q -j 0 __main__.py components continuity functions offline operations policies scripts tests > /dev/null
	$(BIN)/python -m pytest

benchmarks: setup
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

# Long randomized runs kept out of CI's budget: many generated plans deployed through the emulator;
# the failover under fire killed at every step boundary, the races repeated (CONTINUITY_SEED=N
# picks other rounds).
soak: setup
	HYPOTHESIS_PROFILE=soak $(BIN)/python -m pytest -n 0 tests/offline/test_plans_deploy.py
	CONTINUITY_SOAK=1 $(BIN)/python -m pytest -n 0 -q tests/operations/test_under_fire.py

# Both stacks, a failover, readiness and failback in a real AWS sandbox account, then destroyed
# (needs the Pulumi CLI, AWS credentials and CONTINUITY_ACCEPTANCE_ZONE; README, "Acceptance").
acceptance: setup
	CONTINUITY_ACCEPTANCE=1 $(BIN)/python -m pytest tests/acceptance -p no:xdist -rs -s

# Regenerate docs/plan.schema.json after changing the plan's models (continuity/plan.py).
schema: setup
	$(BIN)/python -m continuity.schema

# Re-pin every transitive package after a change to a requirements file.
constraints:
	rm -rf .constraints-venv
	$(PYTHON) -m venv .constraints-venv
	sed '/^-c /d' requirements.txt > .constraints-req.txt
	.constraints-venv/bin/pip install --quiet -r .constraints-req.txt -r policies/requirements.txt \
		$$(grep -v '^[-#]' requirements-dev.txt)
	{ head -3 constraints.txt; .constraints-venv/bin/pip freeze; } > .constraints.new
	mv .constraints.new constraints.txt
	rm -rf .constraints-venv .constraints-req.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
