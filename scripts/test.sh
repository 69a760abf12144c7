#!/usr/bin/env bash
# Set-up command (2): install Kezek with its test tools and run the whole test suite:
# migrations check, unit tests (100% branch coverage of kezek.domain), integration tests on SQLite
# and on PostgreSQL, the several-servers test (two app servers behind nginx, two workers) and browser
# tests in Debian's Chromium. The long fault suite has its own command: scripts/faults.sh.
. "$(dirname "$0")/bootstrap.sh" test

# Debian packages the suites drive: Chromium for the browser tests, nginx for the several-servers test.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "==> installing Debian's ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "The tests need Debian's ${missing[*]}: sudo apt-get install ${missing[*]}" >&2; exit 1
  fi
fi

PG_URL="${KEZEK_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/kezek}"
RESULTS="$ROOT/var/test-results"
rm -rf "$RESULTS"; mkdir -p "$RESULTS"
export PYTHONDONTWRITEBYTECODE=1 KEZEK_DATA_DIR="$ROOT/var/test-data"
unset DATABASE_URL REDIS_URL
PYTEST=(.venv/bin/python -m pytest -q -p no:randomly)
status=0
phase() { echo; echo "==> $1"; }

phase "models and migrations agree"
.venv/bin/kezek makemigrations --check --dry-run || status=1

phase "unit tests (SQLite-free, pure domain) with branch coverage"
.venv/bin/python -m coverage erase
.venv/bin/python -m coverage run -m pytest -q tests/unit --junitxml="$RESULTS/unit.xml" || status=1
.venv/bin/python -m coverage report --include='src/kezek/domain/*' --fail-under=100 || { echo "kezek.domain must keep 100% branch coverage" >&2; status=1; }

phase "integration tests on SQLite"
# A file, not :memory:, so that tests can start worker and server subprocesses on the same database.
KEZEK_TEST_DB_NAME="$KEZEK_DATA_DIR/test.sqlite3" "${PYTEST[@]}" tests/integration --junitxml="$RESULTS/integration-sqlite.xml" || status=1

phase "integration tests on PostgreSQL ($PG_URL)"
DATABASE_URL="$PG_URL" "${PYTEST[@]}" tests/integration --junitxml="$RESULTS/integration-postgres.xml" || status=1

phase "several machines: two app servers behind Debian's nginx, two workers, a voucher rush (PostgreSQL, Redis db 11)"
DATABASE_URL="$PG_URL" "${PYTEST[@]}" tests/scale --junitxml="$RESULTS/scale.xml" || status=1

phase "browser tests (Playwright, /usr/bin/chromium, PostgreSQL)"
DATABASE_URL="$PG_URL" "${PYTEST[@]}" tests/e2e --junitxml="$RESULTS/e2e.xml" || status=1

.venv/bin/python scripts/summarise_junit.py "$RESULTS"/*.xml || status=1
exit $status
