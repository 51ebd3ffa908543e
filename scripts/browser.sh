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
  case "$backend" in
    sqlite) url="sqlite://$dir/browser.db" ;;
    postgres)
      psql "$pg" -qc "CREATE DATABASE $db"
      url="${pg%/*}/$db" ;;
    *) echo "unknown backend $backend"; exit 2 ;;
  esac
  WUFEI_DATABASE_URL="$url" WUFEI_BIND="127.0.0.1:$port" WUFEI_DATA_DIR="$dir/data-$backend" \
    RUST_LOG=warn "$bin" serve --demo >"$dir/$backend.log" 2>&1 &
  pid=$!
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null || { cat "$dir/$backend.log"; exit 1; }
  shots="target/screenshots/$backend"
  mkdir -p "$shots"
  echo "-- $backend"
  "$venv/bin/python" tests/browser/pages.py "http://127.0.0.1:$port" "$shots"
  stop_service
done
