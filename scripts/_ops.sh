# Shared by scripts/backup.sh, restore.sh and pitr-drill.sh (sourced, never run): messages, tools, commands.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRIPT_NAME="$(basename "$0")"

# The calling script's header comment, from its second line to `set -euo pipefail`.
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }
# Exit status 2: refused or failed before anything was changed.
die() { echo "$SCRIPT_NAME: error: $*" >&2; exit 2; }
say() { echo "==> $*" >&2; }

require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "$tool is not on the PATH (Debian: apt-get install postgresql-client tar coreutils)"
  done
}

# KEZEK_BIN, else the virtual environment next to these scripts, else `kezek` on the PATH.
kezek_bin() {
  if [ -n "${KEZEK_BIN:-}" ]; then [ -x "$KEZEK_BIN" ] || die "KEZEK_BIN=$KEZEK_BIN is not an executable"; echo "$KEZEK_BIN"
  elif [ -x "$ROOT/.venv/bin/kezek" ]; then echo "$ROOT/.venv/bin/kezek"
  else command -v kezek || die "no kezek command: set KEZEK_BIN"; fi
}

export PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-10}"
# --no-password: a wrong password fails at once instead of waiting for one typed at a terminal.
PSQL=(psql --no-psqlrc --no-password --quiet --tuples-only --no-align --set ON_ERROR_STOP=1)
