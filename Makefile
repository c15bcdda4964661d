# Two entry points for a fresh machine: `make demo` and `make test` (see README).
# Each installs what it needs: uv (from PyPI if missing), the locked Python environment,
# and the pinned Solidity tooling and anvil from npm (tests and contract rebuilds only).

UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

.PHONY: bootstrap setup npm demo test bench contracts

bootstrap:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

setup: bootstrap
	$(UV) sync --frozen --quiet

npm:
	cd governance && npm ci --no-audit --no-fund --loglevel=error

demo: setup
	$(UV) run atelier demo

test: setup npm
	$(UV) run ruff check .
	$(UV) run pytest

bench: setup npm
	$(UV) run python -m bench

contracts: npm
	cd governance && npm run build
