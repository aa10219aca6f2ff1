#!/usr/bin/env bash
# Demo server: creates .venv, installs Dudao, migrates SQLite (var/dudao.sqlite3), loads the Shanghai demo and serves
# http://127.0.0.1:8000 . Re-running keeps the existing demo database (DUDAO_RESET=1 reloads it).
# Served as a user sees it: DEBUG off (the platform's own error pages, never Django's debug page), static files
# collected and served by WhiteNoise, plain HTTP on loopback (DUDAO_PLAIN_HTTP), a secret key kept in var/.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p var
[ -s var/secret_key ] || "${PYTHON:-python3}" -c "import secrets; print(secrets.token_urlsafe(64))" >var/secret_key
export DUDAO_DEBUG=0 DUDAO_PLAIN_HTTP=1
DUDAO_SECRET_KEY=${DUDAO_SECRET_KEY:-$(cat var/secret_key)}
export DUDAO_SECRET_KEY
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e .
# the open CJK fonts every PDF, chart and DOCX uses (Noto Sans SC / Noto Serif SC, fetched once into fonts/)
.venv/bin/dudao fonts
.venv/bin/dudao migrate --noinput -v0
.venv/bin/dudao collectstatic --noinput --clear -v0
if [ "${DUDAO_RESET:-0}" = "1" ]; then
  .venv/bin/dudao demo --reset
else
  .venv/bin/dudao demo
fi
# background jobs (batch report rendering) run in a worker beside the web server
.venv/bin/dudao db_worker --no-reload --no-startup-delay -v0 &
WORKER=$!
# the daily deadline notices (填报即将截止 / 已逾期): once now, then every 24 h (idempotent per user and day)
(while true; do .venv/bin/dudao notify_deadlines >/dev/null 2>&1 || true; .venv/bin/dudao escalate_findings >/dev/null 2>&1 || true; sleep 86400; done) &
DAILY=$!
trap 'kill $WORKER $DAILY 2>/dev/null' EXIT INT TERM
echo
echo "Dudao 督导 演示服务: http://127.0.0.1:${PORT:-8000}/  公开专栏: /portal/  （Ctrl-C 停止）"
.venv/bin/dudao runserver "127.0.0.1:${PORT:-8000}"
