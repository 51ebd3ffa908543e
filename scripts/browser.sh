#!/usr/bin/env bash
# Browser tests of the public pages (tests/browser/pages.py) in Debian's headless Chromium, on a
# live service with demo data, on SQLite and then PostgreSQL. Installs chromium and CJK fonts (apt) and
# Playwright for Python (PyPI, no browser download) when missing. Screenshots of the dashboard
# and the board at phone and wall sizes go to target/screenshots/<backend>/.
# Needs a built binary (WUFEI_BIN, default target/debug/wufei).
#   WUFEI_BROWSER_BACKENDS  "sqlite postgres" (default both)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${WUFEI_BIN:-target/debug/wufei}"
backends="${WUFEI_BROWSER_BACKENDS:-sqlite postgres}"
pg="${WUFEI_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
# Chromium, and CJK fonts so the Chinese pages' screenshots show characters, not boxes.
if ! command -v chromium >/dev/null || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
venv=target/browser-venv
if ! "$venv/bin/python" -c "import playwright" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "playwright>=1.48,<2"
fi

. scripts/demo-service.sh
port=18191
dir="$(mktemp -d)"
db="wufei_browser_$$"
pid=""
stop_service() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi
}
cleanup() {
  stop_service
  psql "$pg" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

for backend in $backends; do
  start_demo "$backend" "$port" "$dir" "$db"
  pid=$demo_pid
  shots="target/screenshots/$backend"
  mkdir -p "$shots"
  echo "-- $backend"
  "$venv/bin/python" tests/browser/pages.py "http://127.0.0.1:$port" "$shots"
  stop_service
done
