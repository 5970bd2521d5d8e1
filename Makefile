# ybss: `make run` for the demo, `make test` for the checks and the test suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/ybss_test
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev vendor lint typecheck migrations-check messages-check test-sqlite test-pg bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python vendor
	$(BIN)/pip install --quiet -e .

install-dev: $(BIN)/python vendor
	$(BIN)/pip install --quiet -e '.[dev]'

# Browser libraries (ECharts) come from npm at build time and are served by ybss itself:
# deployments run on intranets with no internet, so no page ever loads a script from a CDN.
VENDOR := ybss/core/static/vendor/echarts.min.js
$(VENDOR): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --silent
	mkdir -p ybss/core/static/vendor
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)

vendor: $(VENDOR)

.env:
	@$(BIN)/python -c "import secrets; print('SECRET_KEY=' + secrets.token_urlsafe(50))" > .env
	@$(BIN)/ybss keys generate --id k1 | sed 's/^# [^：]*：//' >> .env
	@echo "已生成 .env（随机 SECRET_KEY 和字段加密密钥；请妥善备份，丢失密钥将无法解密数据）。"

run: install .env
	$(BIN)/ybss migrate --verbosity 0
	$(BIN)/ybss load-divisions --all
	$(BIN)/ybss demo
	$(BIN)/ybss stats refresh
	@echo "打开 http://$(HOST):$(PORT)/ ，用上面打印的演示账号登录。"
	$(BIN)/ybss serve --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check ybss/lib ybss/addressing

typecheck: install-dev
	SECRET_KEY=typecheck YBSS_ENV_FILE=/nonexistent $(BIN)/mypy ybss tests bench

migrations-check: install-dev
	SECRET_KEY=check YBSS_ENV_FILE=/nonexistent DATABASE_URL=sqlite:///:memory: $(BIN)/ybss makemigrations --check --dry-run

test-sqlite: install-dev
	DATABASE_URL= $(BIN)/pytest -q

# Runs when DATABASE_URL points at PostgreSQL or a server answers on 127.0.0.1:5432.
test-pg: install-dev
	@url="$${DATABASE_URL:-}"; \
	if [ -z "$$url" ] || [ "$${url#sqlite}" != "$$url" ]; then \
		if $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null; then \
			url="$(PG_URL)"; \
		else echo "PostgreSQL 未运行，跳过 PostgreSQL 测试。"; exit 0; fi; \
	fi; \
	echo "PostgreSQL: $$url"; DATABASE_URL="$$url" $(BIN)/pytest -q

# The English catalogue must cover every message in the source (needs gettext).
messages-check: install-dev
	scripts/check_messages.sh

test: lint typecheck migrations-check messages-check test-sqlite test-pg

bench: install-dev
	$(BIN)/python bench/addresses.py

clean:
	rm -rf $(VENV) var build *.egg-info
