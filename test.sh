#!/usr/bin/env bash
# Installs what the tests need (Debian packages + the Python test extras), checks lint, layers (import-linter) and
# types (mypy), then runs the whole suite twice, side by side: on SQLite and on a throw-away PostgreSQL server started
# here on loopback. Browser tests drive /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES="chromium chromium-driver postgresql libpango-1.0-0 libpangoft2-1.0-0"
missing=""
for p in $APT_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "== installing Debian packages:$missing"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e ".[test]"
# the project's own CJK fonts (no system font package): fetched once into fonts/, verified, reused by both passes
.venv/bin/dudao fonts

export DJANGO_ALLOW_ASYNC_UNSAFE=true

echo "== lint (ruff)"
.venv/bin/ruff check src tests
echo "== layers (import-linter)"
PYTHONPATH=src .venv/bin/lint-imports --no-cache
echo "== types (mypy)"
.venv/bin/mypy

# The two passes run side by side (each is mostly one busy process), each into its own log and var directory; a
# pass's log is printed whole once it has finished, SQLite's first.
WORK=$(mktemp -d /tmp/dudao-test.XXXXXX)
mkdir "$WORK/var-sqlite" "$WORK/var-pg"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PGDATA=$(mktemp -d /tmp/dudao-pg.XXXXXX)
PGPORT=${DUDAO_PG_PORT:-54329}
RUN_AS=()
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  "${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGDATA" "$WORK"
}
trap cleanup EXIT

echo "== tests on SQLite and on PostgreSQL, side by side (each pass's output follows when it ends)"
DUDAO_VAR_DIR="$WORK/var-sqlite" .venv/bin/python -m pytest "$@" >"$WORK/sqlite.log" 2>&1 &
sqlite_pid=$!
PIDS+=("$sqlite_pid")

if [ "$(id -u)" = 0 ]; then
  chown postgres:postgres "$PGDATA"
  RUN_AS=(runuser -u postgres --)
fi
"${RUN_AS[@]}" "$PGBIN/initdb" -D "$PGDATA" -U dudao --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -o "-p $PGPORT -k $PGDATA -c listen_addresses=127.0.0.1 -c fsync=off" \
  -l "$PGDATA/server.log" -w start >/dev/null
"${RUN_AS[@]}" "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U dudao dudao
DUDAO_VAR_DIR="$WORK/var-pg" DUDAO_DATABASE_URL="postgres://dudao@127.0.0.1:$PGPORT/dudao" \
  .venv/bin/python -m pytest "$@" >"$WORK/pg.log" 2>&1 &
pg_pid=$!
PIDS+=("$pg_pid")

set +e
wait "$sqlite_pid"
sqlite_rc=$?
echo "== tests on SQLite"
cat "$WORK/sqlite.log"
wait "$pg_pid"
pg_rc=$?
echo "== tests on PostgreSQL"
cat "$WORK/pg.log"
PIDS=()
set -e

echo "== SQLite: exit $sqlite_rc, PostgreSQL: exit $pg_rc"
# pytest exit 5 means "no tests collected": that is a failure here, like any other non-zero code.
[ "$sqlite_rc" = 0 ] && [ "$pg_rc" = 0 ]
