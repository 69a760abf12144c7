#!/usr/bin/env bash
# Back up Kezek: the PostgreSQL database (pg_dump custom format) and the uploaded documents (tar), with a
# SHA-256 manifest, into one new dated directory. Restore it with scripts/restore.sh; see docs/deploy.md.
#
# Usage: scripts/backup.sh [-o DIR] [--uploads DIR]
#   -o, --output DIR   where to create the backup directory (default $KEZEK_BACKUP_DIR, else var/backups)
#   --uploads DIR      the uploaded documents (default: the app's MEDIA_ROOT, i.e. $KEZEK_PRIVATE_MEDIA_ROOT,
#                      else $KEZEK_DATA_DIR/private)
# Environment: DATABASE_URL (postgres://user:password@host:port/name, as the app uses), KEZEK_BIN (the kezek
# command; default .venv/bin/kezek next to this script, else `kezek` on the PATH).
#
# Writes DIR/kezek-<database>-<UTC time>/ with database.dump, uploads.tar, backup.info and MANIFEST.sha256,
# and prints that directory's path as the only line on standard output (progress goes to standard error).
# The directory is built under a hidden .partial name and renamed only when complete, so a directory
# without the dot is a finished backup. Backups hold personal data: they are written readable by the owner
# only; encrypt them before they leave the machine.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/_ops.sh"

OUTPUT="${KEZEK_BACKUP_DIR:-$ROOT/var/backups}"
UPLOADS=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o|--output) [ $# -ge 2 ] || die "$1 needs a directory"; OUTPUT="$2"; shift 2 ;;
    --uploads) [ $# -ge 2 ] || die "$1 needs a directory"; UPLOADS="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

DATABASE_URL="${DATABASE_URL:-}"
case "$DATABASE_URL" in
  postgres://*|postgresql://*) ;;
  "") die "DATABASE_URL is not set (postgres://user:password@host:port/name)" ;;
  *) die "DATABASE_URL is not PostgreSQL; back up an embedded SQLite database with: sqlite3 FILE '.backup COPY'" ;;
esac
require_tools pg_dump pg_restore psql tar sha256sum
KEZEK="$(kezek_bin)"
DBNAME="$("${PSQL[@]}" --dbname="$DATABASE_URL" -c 'SELECT current_database()')" \
  || die "cannot connect to the database in DATABASE_URL"
if [ -z "$UPLOADS" ]; then
  # The app's own setting, so that the backup and the running site agree on where documents live.
  UPLOADS="$(DATABASE_URL="$DATABASE_URL" "$KEZEK" shell --no-imports -c \
    'from django.conf import settings; print(settings.MEDIA_ROOT)')" || die "cannot read MEDIA_ROOT from the kezek settings"
fi

umask 077
mkdir -p "$OUTPUT"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
NAME="kezek-$DBNAME-$STAMP"
FINAL="$(cd "$OUTPUT" && pwd)/$NAME"
WORK="$(dirname "$FINAL")/.$NAME.partial"
[ ! -e "$FINAL" ] && [ ! -e "$WORK" ] || die "$FINAL already exists (two backups in the same second?)"
trap 'rm -rf "$WORK"' EXIT
mkdir "$WORK"

say "dumping database $DBNAME"
# The dump is one consistent snapshot of the whole database, taken while the site keeps running.
pg_dump --no-password --format=custom --file="$WORK/database.dump" --dbname="$DATABASE_URL" \
  || die "pg_dump failed"
pg_restore --list "$WORK/database.dump" >/dev/null || die "the dump just written cannot be read back"

# The documents are archived after the dump: every file a dumped row names was written before its row
# committed, so it is in the archive too (files uploaded meanwhile are extra, never missing).
say "archiving uploaded documents from $UPLOADS"
if [ -d "$UPLOADS" ]; then
  tar --create --file="$WORK/uploads.tar" --directory="$UPLOADS" . || die "tar of $UPLOADS failed"
  FILES="$(find "$UPLOADS" -type f | wc -l)"
else
  echo "backup.sh: warning: $UPLOADS does not exist; the backup has no documents" >&2
  tar --create --file="$WORK/uploads.tar" --files-from=/dev/null
  FILES=0
fi

MIGRATIONS="$("${PSQL[@]}" --dbname="$DATABASE_URL" -c \
  "SELECT count(*) || ' applied, latest ' || (SELECT app || '.' || name FROM django_migrations ORDER BY id DESC LIMIT 1) FROM django_migrations" \
  2>/dev/null || echo "unknown (no django_migrations table)")"
cat >"$WORK/backup.info" <<EOF
created_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
database=$DBNAME
server_version=$("${PSQL[@]}" --dbname="$DATABASE_URL" -c 'SHOW server_version')
pg_dump=$(pg_dump --version)
migrations=$MIGRATIONS
uploads_dir=$UPLOADS
uploads_files=$FILES
EOF

(cd "$WORK" && sha256sum database.dump uploads.tar backup.info >MANIFEST.sha256)
mv "$WORK" "$FINAL"
trap - EXIT
say "backup complete: $(du -sh "$FINAL" | cut -f1) in $FINAL ($FILES documents)"
echo "$FINAL"
