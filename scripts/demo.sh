#!/usr/bin/env bash
# Set-up command (1): install Kezek and start the portal with demo data on embedded SQLite.
. "$(dirname "$0")/bootstrap.sh"
export KEZEK_SMS_BACKEND="${KEZEK_SMS_BACKEND:-console}"
export EMAIL_BACKEND="${EMAIL_BACKEND:-django.core.mail.backends.console.EmailBackend}"
export LOG_FORMAT="${LOG_FORMAT:-text}" LOG_LEVEL="${LOG_LEVEL:-WARNING}"  # the SMS codes stay readable in this terminal
unset DATABASE_URL
.venv/bin/kezek migrate --noinput -v0
.venv/bin/kezek demo
.venv/bin/kezek worker &
WORKER=$!
trap 'kill $WORKER 2>/dev/null; wait $WORKER 2>/dev/null' EXIT INT TERM
echo "==> Kezek is at http://127.0.0.1:8000  (SMS codes are printed in this terminal; Ctrl-C stops)"
.venv/bin/gunicorn config.wsgi:application --bind 127.0.0.1:8000 --workers 2 --threads 4 --log-level warning
