#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into a NEW PostgreSQL database and a NEW uploads directory, then
# prove it usable: checksums, migrations, every document a row names (and its SHA-256), the audit hash chain.
#
# Usage: scripts/restore.sh [options] BACKUP_DIR TARGET_DATABASE_URL UPLOADS_DIR
#   BACKUP_DIR            a directory written by scripts/backup.sh (kezek-<database>-<time>/)
#   TARGET_DATABASE_URL   postgres://user:password@host:port/name; the database is created if missing (the user
#                         needs CREATEDB), used if empty, and refused if it holds any table
#   UPLOADS_DIR           where the documents go; created if missing, refused if it holds any file
# Options:
#   --force               replace a non-empty target: DROP and re-create the database (fails while anything is
#                         connected to it) and move a non-empty UPLOADS_DIR aside to UPLOADS_DIR.replaced-<time>
#   --migrate             apply migrations the backup lacks (a backup older than this code); without it they are
#                         reported and the restore exits 1
#   --checkpoints FILE    also prove the restored audit chain extends these published checkpoints
#                         (checkpoints.json or .csv as downloaded from the public site: history not rewritten)
#   --jobs N              restore with N parallel jobs (large databases; then not in a single transaction)
#   -h, --help            this text
# Environment: KEZEK_BIN (the kezek command; default .venv/bin/kezek next to this script, else `kezek`).
#
# Exit status: 0 restored and every check passed; 1 restored but a check failed (the summary says which);
# 2 refused or failed before restoring anything (bad arguments, damaged backup, non-empty target).
# Run it as the user the app runs as, so that the restored documents belong to it.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/_ops.sh"

FORCE=0 MIGRATE=0 JOBS=1 CHECKPOINTS=""
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --force) FORCE=1; shift ;;
    --migrate) MIGRATE=1; shift ;;
    --checkpoints) [ $# -ge 2 ] || die "$1 needs a file"; CHECKPOINTS="$(realpath "$2")"; shift 2 ;;
    --jobs) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || die "--jobs needs a positive number"; JOBS="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option: $1" ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
[ ${#ARGS[@]} -eq 3 ] || { usage >&2; die "expected BACKUP_DIR TARGET_DATABASE_URL UPLOADS_DIR"; }
BACKUP="${ARGS[0]}" TARGET="${ARGS[1]}" UPLOADS="${ARGS[2]}"
case "$TARGET" in
  postgres://*|postgresql://*) ;;
  *) die "TARGET_DATABASE_URL must be postgres://user:password@host:port/name" ;;
esac
[ -z "$CHECKPOINTS" ] || [ -f "$CHECKPOINTS" ] || die "no checkpoint file $CHECKPOINTS"
require_tools pg_restore psql tar sha256sum realpath
KEZEK="$(kezek_bin)"
PYTHON="$(dirname "$(realpath "$KEZEK")")/python"
[ -x "$PYTHON" ] || PYTHON="$(command -v python3)"

# --- 1. The backup is whole: every file is there and has the checksum written when it was made. ----------
[ -d "$BACKUP" ] || die "no backup directory $BACKUP"
BACKUP="$(realpath "$BACKUP")"
for f in MANIFEST.sha256 database.dump uploads.tar backup.info; do
  [ -f "$BACKUP/$f" ] || die "$BACKUP is not a complete backup: $f is missing"
done
for f in database.dump uploads.tar backup.info; do
  grep -q "  $f\$" "$BACKUP/MANIFEST.sha256" || die "the manifest does not list $f"
done
(cd "$BACKUP" && sha256sum --check --quiet --strict MANIFEST.sha256) >&2 \
  || die "checksum mismatch: the backup in $BACKUP is damaged or was changed"
pg_restore --list "$BACKUP/database.dump" >/dev/null || die "$BACKUP/database.dump is not a readable pg_dump archive"
say "backup $BACKUP: checksums OK"

# --- 2. The targets are new (or --force). Everything is checked before anything is changed. ---------------
{ read -r DBNAME; read -r ADMIN_URL; } < <("$PYTHON" - "$TARGET" <<'EOF'
import sys
from urllib.parse import unquote, urlsplit
url = urlsplit(sys.argv[1])
print(unquote(url.path.lstrip("/")))
print(url._replace(path="/postgres").geturl())  # the maintenance database, to create or drop the target
EOF
)
[ -n "$DBNAME" ] || die "TARGET_DATABASE_URL names no database"
[ "$DBNAME" != postgres ] && [[ "$DBNAME" != template* ]] || die "refusing to restore into the system database $DBNAME"
EXISTS="$("${PSQL[@]}" --dbname="$ADMIN_URL" -v db="$DBNAME" <<<"SELECT count(*) FROM pg_database WHERE datname = :'db'")" \
  || die "cannot connect to the server in TARGET_DATABASE_URL"
TABLES=0
if [ "$EXISTS" = 1 ]; then
  TABLES="$("${PSQL[@]}" --dbname="$TARGET" -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'")" || die "cannot connect to $DBNAME"
fi
if [ "$TABLES" != 0 ] && [ "$FORCE" = 0 ]; then
  die "database $DBNAME is not empty ($TABLES tables, sequences or views): refusing to overwrite it without --force"
fi
if [ -e "$UPLOADS" ] && [ ! -d "$UPLOADS" ]; then die "$UPLOADS exists and is not a directory"; fi
UPLOADS_FILES=0
[ ! -d "$UPLOADS" ] || UPLOADS_FILES="$(find "$UPLOADS" -mindepth 1 | head -n 1 | wc -l)"
if [ "$UPLOADS_FILES" != 0 ] && [ "$FORCE" = 0 ]; then
  die "uploads directory $UPLOADS is not empty: refusing to overwrite it without --force"
fi

# --- 3. Restore. -------------------------------------------------------------------------------------------
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
if [ "$TABLES" != 0 ]; then
  say "--force: dropping database $DBNAME"
  "${PSQL[@]}" --dbname="$ADMIN_URL" -v db="$DBNAME" <<<'DROP DATABASE :"db"' \
    || die "cannot drop $DBNAME (is an app process or worker still connected? stop them first)"
  EXISTS=0
fi
if [ "$EXISTS" = 0 ]; then
  say "creating database $DBNAME"
  # template0 and UTF8: an empty database whatever was added to template1, in the encoding the dump needs.
  "${PSQL[@]}" --dbname="$ADMIN_URL" -v db="$DBNAME" <<<"CREATE DATABASE :\"db\" TEMPLATE template0 ENCODING 'UTF8'" \
    || die "cannot create database $DBNAME (does the user have CREATEDB?)"
fi
if [ "$UPLOADS_FILES" != 0 ]; then
  say "--force: moving the old $UPLOADS aside to $UPLOADS.replaced-$STAMP"
  mv "$UPLOADS" "$UPLOADS.replaced-$STAMP"
fi
mkdir -p "$UPLOADS"
UPLOADS="$(realpath "$UPLOADS")"

say "restoring the database into $DBNAME"
RESTORE=(pg_restore --no-password --dbname="$TARGET" --no-owner --no-privileges --exit-on-error)
# One transaction: an interrupted restore leaves an empty database, never half of one.
if [ "$JOBS" = 1 ]; then RESTORE+=(--single-transaction); else RESTORE+=(--jobs="$JOBS"); fi
"${RESTORE[@]}" "$BACKUP/database.dump" || { echo "restore.sh: error: pg_restore failed" >&2; exit 1; }
say "extracting documents into $UPLOADS"
tar --extract --file="$BACKUP/uploads.tar" --directory="$UPLOADS" || { echo "restore.sh: error: tar failed" >&2; exit 1; }

# --- 4. Checks, on the restored copy only (no Redis: nothing here may touch the live site's cache). ---------
export DATABASE_URL="$TARGET" KEZEK_PRIVATE_MEDIA_ROOT="$UPLOADS"
unset REDIS_URL
FAILED=()
kezek() { "$KEZEK" "$@"; }

if [ "$MIGRATE" = 1 ]; then
  say "applying missing migrations (--migrate)"
  kezek migrate --no-input >&2 || FAILED+=("migrate")
fi
if kezek migrate --check >/dev/null 2>&1; then MIGRATIONS="OK: every migration of this code is applied"
else
  PENDING="$(kezek showmigrations --plan 2>/dev/null | grep -c '^\[ \]' || true)"
  MIGRATIONS="NOT APPLIED: $PENDING migration(s) of this code are missing; run with --migrate or: kezek migrate"
  FAILED+=("migrations")
fi

say "checking the documents the database names"
# Every stored file a row points to must exist; where the row keeps the file's SHA-256, the bytes must match.
DOCUMENTS="$(kezek shell --no-imports -c '
import hashlib
from django.apps import apps
from django.db import models

referenced, bad = 0, []
for model in apps.get_models():
    names = {f.name for f in model._meta.get_fields()}
    for field in [f for f in model._meta.get_fields() if isinstance(f, models.FileField)]:
        digest_field = next((n for n in (f"{field.name}_sha256", "sha256") if n in names), None)
        for row in model.objects.exclude(**{field.name: ""}).only("pk", field.name, *filter(None, [digest_field])).iterator():
            referenced += 1
            stored = getattr(row, field.name)
            if not stored.storage.exists(stored.name):
                bad.append(f"{model._meta.label} {row.pk}: {stored.name} is missing")
                continue
            if digest_field and getattr(row, digest_field):
                with stored.open("rb") as fh:
                    if hashlib.file_digest(fh, "sha256").hexdigest() != getattr(row, digest_field):
                        bad.append(f"{model._meta.label} {row.pk}: {stored.name} does not match its SHA-256")
print(("OK" if not bad else "FAILED") + f": {referenced} document(s) referenced, {len(bad)} missing or changed")
for line in bad[:20]:
    print("    " + line)
' 2>&1)" || true
case "$DOCUMENTS" in OK:*) ;; *) FAILED+=("documents") ;; esac

say "verifying the audit hash chain"
VERIFY=(audit verify)
BEYOND=""
if [ -n "$CHECKPOINTS" ]; then
  # Checkpoints published after the backup was taken pin events the backup cannot hold: they measure what
  # was lost since, not tampering. Only those the restored chain reaches are checked; the rest are counted.
  KEPT="$(mktemp)"
  trap 'rm -f "$KEPT"' EXIT
  LATER="$(CHECKPOINTS_IN="$CHECKPOINTS" CHECKPOINTS_OUT="$KEPT" kezek shell --no-imports -c "
import json, os
from pathlib import Path
from kezek.audit.models import AuditEvent
from kezek.domain.audit_chain import parse_checkpoints
head = AuditEvent.objects.order_by('-seq').values_list('seq', flat=True).first() or 0
points = parse_checkpoints(Path(os.environ['CHECKPOINTS_IN']).read_text(encoding='utf-8'))
Path(os.environ['CHECKPOINTS_OUT']).write_text(json.dumps([{'seq': p.seq, 'hash': p.hash} for p in points if p.seq <= head]))
later = [p.seq for p in points if p.seq > head]
print(f'{len(later)} published checkpoint(s) lie beyond the restored chain (event {head})'
      + (f', the first at seq {min(later)}: events after the backup are not in it' if later else ''))
" 2>&1)" || { echo "restore.sh: error: cannot read $CHECKPOINTS: $LATER" >&2; exit 1; }
  BEYOND="
               $LATER"
  [ "$(cat "$KEPT")" = "[]" ] || VERIFY+=(--checkpoints "$KEPT")
fi
AUDIT="$(kezek "${VERIFY[@]}" 2>&1)" || FAILED+=("audit")
AUDIT="$AUDIT$BEYOND"

# --- 5. Summary. --------------------------------------------------------------------------------------------
COUNTS="$("${PSQL[@]}" --dbname="$TARGET" <<'EOF' || true
SELECT format('    %-34s %s', t, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I', t), false, true, '')))[1])
FROM unnest(ARRAY['accounts_user', 'people_person', 'applications_application', 'applications_benefitclaim',
                  'placements_offer', 'placements_enrolment', 'vouchers_voucher', 'appeals_appealdocument',
                  'notifications_outboxmessage', 'audit_auditevent', 'audit_auditcheckpoint']) AS t
WHERE to_regclass(t) IS NOT NULL;
EOF
)"
cat <<EOF

Restore summary
  backup:      $BACKUP
$(sed 's/^/    /' "$BACKUP/backup.info")
  database:    $DBNAME (restored)
  documents:   $UPLOADS ($(find "$UPLOADS" -type f | wc -l) files)
  rows:
$COUNTS
  migrations:  $MIGRATIONS
  documents:   $DOCUMENTS
  audit chain: $AUDIT
EOF
if [ ${#FAILED[@]} -gt 0 ]; then
  echo "RESTORE CHECKS FAILED: ${FAILED[*]}"
  exit 1
fi
echo "RESTORE OK"
