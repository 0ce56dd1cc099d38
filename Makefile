# One entry point for newcomers: `make run` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: setup run test test-fast lint validate train shell lock bench evaluate clean knowledge

setup:  ## Create .venv and install the pinned stack (quick when nothing changed)
	@bash scripts/setup.sh

run: setup  ## Train if needed, start Rasa + action server on localhost; Ctrl-C stops both
	@$(PY) -m bot.runtime.launcher

.PHONY: status
status:  ## State of the servers started by `make run` (restarts included)
	@$(PY) -m bot.runtime.launcher status

test: setup lint  ## Lint, types, then the whole test suite (what CI runs)
	@bash scripts/setup-browser.sh
	@bash scripts/setup-haproxy.sh
	@$(PY) -m pytest

lint: setup  ## ruff (lint + format) and mypy on bot/ and channels/
	@.venv/bin/ruff check bot channels
	@.venv/bin/ruff format --check bot channels
	@.venv/bin/mypy

test-fast: setup  ## Unit tests only (no servers, no training)
	@$(PY) -m pytest -m "not e2e and not browser"

validate: setup  ## Check training data and domain
	@.venv/bin/rasa data validate

train: setup  ## Train the model if config, domain or data changed
	@$(PY) -c "from bot.runtime.launcher import ensure_model; print(ensure_model())"

shell: setup train  ## Talk to the bot in the terminal (starts the action server too)
	@$(PY) -m rasa_sdk --actions bot.actions --port 5055 > var/actions-shell.log 2>&1 & \
	  trap "kill $$!" EXIT; $(PY) -m bot.runtime.rasa_server shell --model models/spro.tar.gz

bench: setup train  ## Start-up, memory, latency, and the speed targets before/after (docs/performance.md)
	@$(PY) benchmarks/bench_knowledge.py --write
	@$(PY) benchmarks/bench_startup.py --write
	@$(PY) benchmarks/bench_indicators.py --write
	@$(PY) benchmarks/bench_load.py --write
	@$(PY) benchmarks/bench_handover.py --write
	@$(PY) benchmarks/bench_soak.py --write
	@$(PY) benchmarks/bench_targets.py --write

evaluate: setup train  ## Dialogue figures (held-out NLU, test stories, 30+ personas) into docs/dialogue.md
	@$(PY) scripts/evaluate.py

knowledge: setup  ## Rebuild knowledge/places and knowledge/structures from ../shared/data (SPRO_SHARED_DATA), then check
	@$(PY) -m bot import-shared
	@$(PY) -m bot check

.PHONY: retrain rollback
retrain: setup train  ## Train a candidate with the reviewed labels; serve it only if the quality gate passes
	@$(PY) -m bot review retrain

rollback: setup  ## Serve again the model that served before the last retrain
	@$(PY) -m bot review rollback

lock:  ## Regenerate requirements/lock.txt from requirements/base.in in a scratch venv
	@bash scripts/lock.sh

clean:  ## Remove trained models and run-time files (not the venv)
	rm -rf models var results
