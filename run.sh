#!/usr/bin/env bash
# Demo server: creates .venv, installs Dudao, migrates SQLite (var/dudao.sqlite3), loads the Shanghai demo and serves
# http://127.0.0.1:8000 . Re-running keeps the existing demo database (DUDAO_RESET=1 reloads it).
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e .
.venv/bin/dudao migrate --noinput -v0
if [ "${DUDAO_RESET:-0}" = "1" ]; then
  .venv/bin/dudao demo --reset
else
  .venv/bin/dudao demo
fi
# background jobs (batch report rendering) run in a worker beside the web server
.venv/bin/dudao db_worker --no-reload --no-startup-delay -v0 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null' EXIT INT TERM
echo
echo "Dudao 督导 演示服务: http://127.0.0.1:${PORT:-8000}/  公开专栏: /portal/  （Ctrl-C 停止）"
.venv/bin/dudao runserver "127.0.0.1:${PORT:-8000}"
