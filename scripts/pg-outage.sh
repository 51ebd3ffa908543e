#!/usr/bin/env bash
# Fault check: stop PostgreSQL under a running service, expect 503 problem+json with Retry-After
# on readiness and on an API call within a few seconds, start it again, expect recovery without a
# restart of the service. Needs the local cluster (pg_ctlcluster) and a built binary.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${WUFEI_BIN:-target/debug/wufei}"
cluster="$(ls /etc/postgresql | head -n1)"
db="wufei_outage_$$"
port=18181
dir="$(mktemp -d)"
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db"
cleanup() {
  pg_ctlcluster --skip-systemctl-redirect "$cluster" main start 2>/dev/null || true
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  rm -rf "$dir"
}
trap cleanup EXIT

WUFEI_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" WUFEI_BIND="127.0.0.1:$port" \
  WUFEI_DATA_DIR="$dir" WUFEI_DB_TIMEOUT_SECS=2 RUST_LOG=warn "$bin" serve >"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.2; done
code() { curl -s -o "$dir/body" -w '%{http_code}' --max-time 10 "$@"; }
[ "$(code "http://127.0.0.1:$port/health/ready")" = 200 ] || { echo "not ready"; exit 1; }

pg_ctlcluster --skip-systemctl-redirect "$cluster" main stop -m fast
start=$(date +%s)
got=$(code "http://127.0.0.1:$port/health/ready")
grep -q '"code":"database_unavailable"' "$dir/body" || { echo "ready: no problem body"; cat "$dir/body"; exit 1; }
api=$(code -X POST -H 'content-type: application/json' -d '{"email":"a@b.c","password":"x"}' \
  "http://127.0.0.1:$port/api/v1/auth/login")
retry=$(curl -s -D - -o /dev/null "http://127.0.0.1:$port/health/ready" | grep -i '^retry-after' || true)
elapsed=$(( $(date +%s) - start ))
echo "database down: ready=$got api=$api ${retry:-no Retry-After} (${elapsed}s)"
[ "$got" = 503 ] && [ "$api" = 503 ] && [ -n "$retry" ] || exit 1
[ "$elapsed" -le 15 ] || { echo "too slow to notice"; exit 1; }

pg_ctlcluster --skip-systemctl-redirect "$cluster" main start
for i in $(seq 60); do
  [ "$(code "http://127.0.0.1:$port/health/ready")" = 200 ] && { echo "recovered after ${i}x0.5s"; exit 0; }
  sleep 0.5
done
echo "no recovery"; cat "$dir/log"; exit 1
