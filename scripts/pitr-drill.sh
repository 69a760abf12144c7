#!/usr/bin/env bash
# Point-in-time recovery and standby drill on a private, throwaway PostgreSQL cluster (docs/deploy.md,
# "Point-in-time recovery"). It never touches another server: the cluster lives in a temporary directory and
# listens only on a Unix socket there.
#
# What it proves, with the same settings and commands docs/deploy.md gives for production:
#   1. a primary with WAL archiving (archive_mode, archive_command) and a base backup (pg_basebackup);
#   2. a streaming standby (primary_conninfo + a replication slot) that replays the primary's writes and can be
#      promoted to a writable primary;
#   3. after a mistaken DELETE, the base backup plus the archived WAL recovered to a moment just before it
#      (recovery_target_time) has every row committed before that moment and none of the mistake.
#
# Usage: scripts/pitr-drill.sh [--keep]
#   --keep   leave the temporary directory (clusters stopped) for inspection
# Environment: PG_BIN (PostgreSQL server programs; default the newest /usr/lib/postgresql/*/bin).
# Run as root (the clusters then run as the `postgres` OS user, via runuser) or as the postgres user.
# Exit status 0 when every check passed, 1 when one failed, 2 on a set-up error.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/_ops.sh"

KEEP=0
case "${1:-}" in
  --keep) KEEP=1 ;;
  -h|--help) usage; exit 0 ;;
  "") ;;
  *) usage >&2; die "unknown argument: $1" ;;
esac
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
[ -x "$PG_BIN/initdb" ] || die "no PostgreSQL server programs in '$PG_BIN' (apt-get install postgresql, or set PG_BIN)"
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || die "no postgres OS user to run the clusters as"
  AS_PG=(runuser -u postgres --)
elif [ "$(id -un)" = postgres ]; then AS_PG=()
else die "run as root or as the postgres user (initdb refuses root, and the drill needs to own its files)"; fi

DIR="$(mktemp -d /tmp/kezek-pitr-drill.XXXXXX)"
chmod 755 "$DIR"
[ ${#AS_PG[@]} -eq 0 ] || chown postgres: "$DIR"
SOCK="$DIR" ARCHIVE="$DIR/wal-archive"
PRIMARY_PORT=6543 STANDBY_PORT=6544 RESTORED_PORT=6545  # socket file names in $DIR only: no TCP, no clash
pg() { "${AS_PG[@]}" "$@"; }
sql() { pg "$PG_BIN/psql" --no-psqlrc -h "$SOCK" -p "$1" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 -c "$2"; }
start() { pg "$PG_BIN/pg_ctl" -D "$DIR/$1" -l "$DIR/$1.log" -w -t 60 start >/dev/null || { tail -n 20 "$DIR/$1.log" >&2; die "$1 did not start"; }; }
stop_all() {
  for c in primary standby restored; do
    [ ! -f "$DIR/$c/postmaster.pid" ] || pg "$PG_BIN/pg_ctl" -D "$DIR/$c" -m immediate stop >/dev/null 2>&1 || true
  done
}
cleanup() { stop_all; if [ "$KEEP" = 1 ]; then echo "kept $DIR"; else rm -rf "$DIR"; fi; }
trap cleanup EXIT
FAILED=0
check() {  # check DESCRIPTION EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then echo "    ok: $1 ($3)"; else echo "    FAILED: $1: expected $2, got $3"; FAILED=1; fi
}
wait_for() {  # wait_for PORT SQL EXPECTED: poll up to 60 s (replication and promotion take a moment)
  for _ in $(seq 1 120); do [ "$(sql "$1" "$2" 2>/dev/null || true)" = "$3" ] && return 0; sleep 0.5; done
  return 1
}

say "primary with WAL archiving in $DIR"
pg mkdir "$ARCHIVE"
pg "$PG_BIN/initdb" -D "$DIR/primary" -U postgres --auth=trust >/dev/null
pg tee -a "$DIR/primary/postgresql.conf" >/dev/null <<EOF
listen_addresses = ''
unix_socket_directories = '$SOCK'
port = $PRIMARY_PORT
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
archive_mode = on
archive_command = 'test ! -f $ARCHIVE/%f && cp %p $ARCHIVE/%f'
EOF
start primary
sql $PRIMARY_PORT "CREATE TABLE drill (id serial PRIMARY KEY, phase text NOT NULL)"
sql $PRIMARY_PORT "INSERT INTO drill (phase) SELECT 'before base backup' FROM generate_series(1, 100)"

say "base backup (pg_basebackup) and a streaming standby on a replication slot"
pg "$PG_BIN/pg_basebackup" -h "$SOCK" -p $PRIMARY_PORT -U postgres -D "$DIR/base" --checkpoint=fast --wal-method=stream
# -R writes primary_conninfo and standby.signal; -C -S creates the slot, so the primary keeps WAL the standby needs.
pg "$PG_BIN/pg_basebackup" -h "$SOCK" -p $PRIMARY_PORT -U postgres -D "$DIR/standby" --checkpoint=fast \
  --wal-method=stream -R -C -S drill_standby
pg tee -a "$DIR/standby/postgresql.conf" >/dev/null <<EOF
port = $STANDBY_PORT
archive_mode = off
EOF
start standby

sql $PRIMARY_PORT "INSERT INTO drill (phase) SELECT 'after base backup' FROM generate_series(1, 50)"
# The moment to recover to: after the rows above committed, before the mistake below.
TARGET="$(sql $PRIMARY_PORT "SELECT clock_timestamp()")"
sleep 1
sql $PRIMARY_PORT "DELETE FROM drill WHERE phase = 'before base backup'"  # the mistake
sql $PRIMARY_PORT "INSERT INTO drill (phase) SELECT 'after the mistake' FROM generate_series(1, 7)"
SEGMENT="$(sql $PRIMARY_PORT "SELECT pg_walfile_name(pg_switch_wal())")"
wait_for $PRIMARY_PORT "SELECT last_archived_wal >= '$SEGMENT' FROM pg_stat_archiver" t \
  || die "WAL segment $SEGMENT was not archived (see $DIR/primary.log)"

say "checks on the standby"
wait_for $STANDBY_PORT "SELECT count(*) FROM drill WHERE phase = 'after the mistake'" 7 || true
check "the standby replays the primary's writes, the mistake too (50 + 7 rows)" "57" \
  "$(sql $STANDBY_PORT "SELECT count(*) FROM drill")"
check "the slot is in use by the standby" "t" \
  "$(sql $PRIMARY_PORT "SELECT active FROM pg_replication_slots WHERE slot_name = 'drill_standby'")"
check "the standby refuses writes" "read-only" \
  "$(sql $STANDBY_PORT "INSERT INTO drill (phase) VALUES ('x')" 2>&1 | grep -o 'read-only' | head -n 1 || true)"

say "the primary is lost; promote the standby"
pg "$PG_BIN/pg_ctl" -D "$DIR/primary" -m immediate stop >/dev/null
sql $STANDBY_PORT "SELECT pg_promote(wait => true)" >/dev/null
sql $STANDBY_PORT "INSERT INTO drill (phase) VALUES ('on the promoted standby')"
check "the promoted standby takes writes" "1" \
  "$(sql $STANDBY_PORT "SELECT count(*) FROM drill WHERE phase = 'on the promoted standby'")"
pg "$PG_BIN/pg_ctl" -D "$DIR/standby" -m fast stop >/dev/null

say "point-in-time recovery of the base backup to $TARGET"
pg cp -a "$DIR/base" "$DIR/restored"
pg tee -a "$DIR/restored/postgresql.conf" >/dev/null <<EOF
port = $RESTORED_PORT
archive_mode = off
restore_command = 'cp $ARCHIVE/%f %p'
recovery_target_time = '$TARGET'
recovery_target_action = 'promote'
EOF
pg touch "$DIR/restored/recovery.signal"
start restored
wait_for $RESTORED_PORT "SELECT pg_is_in_recovery()" f || die "recovery did not finish (see $DIR/restored.log)"
check "rows from before the base backup are back" "100" \
  "$(sql $RESTORED_PORT "SELECT count(*) FROM drill WHERE phase = 'before base backup'")"
check "rows committed after the base backup, before the target, are there (from the archived WAL)" "50" \
  "$(sql $RESTORED_PORT "SELECT count(*) FROM drill WHERE phase = 'after base backup'")"
check "nothing from after the target" "0" \
  "$(sql $RESTORED_PORT "SELECT count(*) FROM drill WHERE phase = 'after the mistake'")"
check "the recovered server is on a new timeline" "2" \
  "$(sql $RESTORED_PORT "SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)::int")"
grep -q "recovery stopping before commit" "$DIR/restored.log" \
  && echo "    log: $(grep -o 'recovery stopping before commit.*' "$DIR/restored.log" | head -n 1)"

if [ "$FAILED" = 0 ]; then echo "PITR DRILL OK"; else echo "PITR DRILL FAILED"; exit 1; fi
