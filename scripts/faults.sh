#!/usr/bin/env bash
# The fault suite (tests/faults/): Kezek under SIGKILL, a PostgreSQL restart and a full disk. Not part of
# scripts/test.sh or CI: it takes a few minutes and needs root (PostgreSQL's initdb as the postgres user,
# mount -t tmpfs) and PostgreSQL's server binaries (KEZEK_FAULTS_PG_BIN, default /usr/lib/postgresql/15/bin).
#
#   ./scripts/faults.sh [pytest options, e.g. -k restart]
#
# It starts its own throw-away PostgreSQL cluster in a temporary directory on a free port (never the shared
# server: one test stops and restarts it), migrates a template database once and gives each test a copy.
# Faults, one test each, each printing its figures:
#   a. gunicorn workers SIGKILLed during a first-come voucher rush: no acknowledged claim lost or doubled;
#   b. PostgreSQL stopped and restarted under load: 503 + Retry-After meanwhile, recovery without a restart;
#   c. `kezek worker` SIGKILLed while sending SMS: every message delivered once (idempotency keys);
#   d. `kezek worker` SIGKILLed while expiring offers: every offer expired and passed on once;
#   e. the uploads' disk full: a clear error (507), nothing half-saved, the same upload works after.
. "$(dirname "$0")/bootstrap.sh" test

export PYTHONDONTWRITEBYTECODE=1 KEZEK_DATA_DIR="$ROOT/var/test-data" KEZEK_FAULTS=1
# The tests' own processes get their database from the suite; the pytest process needs none.
unset DATABASE_URL REDIS_URL KEZEK_TEST_DB_NAME
started=$(date +%s)
status=0
.venv/bin/python -m pytest -q -s -p no:randomly tests/faults "$@" || status=$?
echo "==> fault suite finished in $(( $(date +%s) - started )) s"
exit $status
