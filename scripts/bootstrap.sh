# Sourced by scripts/demo.sh and scripts/test.sh: makes .venv/ with Python >= 3.12 and installs Kezek.
# Usage: . scripts/bootstrap.sh [extras]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
EXTRAS="${1:-}"

find_python() {
  local candidates=(python3.12 python3.13 python3.14)
  local root
  root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
  for c in "${candidates[@]}"; do
    for p in "$(command -v "$c" 2>/dev/null)" "$root"/versions/"${c#python}"*/bin/"$c" /usr/bin/"$c" /usr/local/bin/"$c"; do
      if [ -n "$p" ] && [ -x "$p" ] && "$p" -c 'import sys, sqlite3, ssl; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
        echo "$p"; return 0
      fi
    done
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
  PY="$(find_python)" || { echo "Kezek needs Python 3.12 or newer (Django 6); none found." >&2; exit 1; }
  echo "==> creating .venv with $PY"
  rm -rf .venv
  "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
fi

SPEC="."
[ -n "$EXTRAS" ] && SPEC=".[$EXTRAS]"
STAMP=".venv/.kezek-installed-$(sha256sum pyproject.toml | cut -c1-16)-${EXTRAS:-base}"
if [ ! -f "$STAMP" ]; then
  echo "==> installing kezek ($SPEC)"
  .venv/bin/python -m pip install -q -e "$SPEC"
  touch "$STAMP"
fi
