# Two entry points for a fresh machine: `make demo` and `make test` (see README).
# Each installs what it needs: uv (from PyPI if missing), the locked Python environment,
# and the pinned Solidity tooling and anvil from npm (tests and contract rebuilds only).

UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

.PHONY: bootstrap system setup npm demo test test-fast bench contracts

# Pages are drawn with cairo (cairosvg) and lettered in DejaVu Sans: Debian packages,
# installed only when missing (root, or sudo).
SYSTEM_PACKAGES := libcairo2 fonts-dejavu-core
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

bootstrap:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

system:
	@dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $(SYSTEM_PACKAGES) >/dev/null; }

# Bytecode, compiled once: every later process starts from .pyc files, even where
# PYTHONDONTWRITEBYTECODE is set (then Python would compile web3 & co. from source at each
# start: `import web3` took 3.4 s instead of 2.0 s here). The project's own folders are
# installed editable, so they are compiled in place (only what changed since).
#
# EXTRAS names optional extras to keep installed (`uv sync` removes what it is not asked
# for): `make setup EXTRAS=qwen-coder` installs the bigger embedded model (README, Models).
EXTRAS ?=
setup: bootstrap system
	$(UV) sync --frozen --quiet --compile-bytecode $(foreach extra,$(EXTRAS),--extra $(extra))
	@$(UV) run --frozen python -m compileall -q -x '(\.venv|node_modules|\.git)/' . >/dev/null

npm:
	cd governance && npm ci --no-audit --no-fund --loglevel=error

demo: setup
	$(UV) run atelier demo

test: setup npm
	$(UV) run ruff check .
	$(UV) run pytest

# The change loop: offline, the scripted cast, the embedded chain (README, Development).
test-fast: setup
	$(UV) run ruff check .
	$(UV) run pytest -m "not (model or postgres or anvil or node or slow)"

bench: setup npm
	$(UV) run python -m bench

contracts: npm
	cd governance && npm run build
