#!/usr/bin/env bash
# Contract check: schemathesis runs every check against api-spec/openapi.json on a live service
# with demo data, signed in as each role (admin, alliance staff, a producer, a receiver), on SQLite
# and PostgreSQL side by side (one service and one schemathesis at a time per backend: the two
# keep both cores busy), with a fixed seed. Any server error, schema violation or undocumented
# status fails, and so does schema-valid data refused for anything but a listed business rule
# (api-spec/contract_hooks.py). Needs a built binary (WUFEI_BIN, default target/debug/wufei).
#   WUFEI_CONTRACT_EXAMPLES  examples per operation and phase (default 15)
#   WUFEI_CONTRACT_BACKENDS  "sqlite postgres" (default both)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${WUFEI_BIN:-target/debug/wufei}"
examples="${WUFEI_CONTRACT_EXAMPLES:-15}"
backends="${WUFEI_CONTRACT_BACKENDS:-sqlite postgres}"
pg="${WUFEI_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
version="4.32.5"
venv=target/contract-venv
if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$version"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

. scripts/demo-service.sh
dir="$(mktemp -d)"
db="wufei_contract_$$"
cleanup() {
  jobs -p | xargs -r kill 2>/dev/null || true
  wait 2>/dev/null || true
  psql "$pg" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

# One backend: its own service on its own port, each role in turn. Prints a line per role.
run_backend() {
  local backend="$1" port="$2" pid failed=0
  start_demo "$backend" "$port" "$dir" "$db" || return 1
  pid=$demo_pid
  login() {
    curl -sf -X POST -H 'content-type: application/json' \
      -d "{\"email\":\"$1@demo.wufei.local\",\"password\":\"Baotou-Demo-Slag-2026\"}" \
      "http://127.0.0.1:$port/api/v1/auth/login" |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
  }
  # Every token first (they last 15 minutes, the runs take a few): schemathesis's own login
  # attempts trip the failed-login throttle.
  local -A tokens=()
  for role in admin staff steel cement; do tokens[$role]="$(login "$role")"; done
  for role in admin staff steel cement; do
    local log="$dir/st-$backend-$role.txt"
    if PYTHONPATH=api-spec SCHEMATHESIS_HOOKS=contract_hooks \
        "$venv/bin/st" --config-file api-spec/schemathesis.toml run api-spec/openapi.json \
        --url "http://127.0.0.1:$port" -H "Authorization: Bearer ${tokens[$role]}" \
        --checks all --exclude-checks positive_data_acceptance \
        --max-examples "$examples" --seed 1 --no-color >"$log" 2>&1; then
      echo "$backend/$role: $(grep -E '^Test cases:' -A1 "$log" | tail -n1 | xargs) — clean"
    else
      echo "$backend/$role: FAILED"; sed -n '/= FAILURES =/,/= SUMMARY =/p' "$log" | head -n 200
      tail -n 25 "$log"; failed=1
    fi
  done
  grep -E 'panicked' "$dir/$backend.log" | head -n 20 || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  return "$failed"
}

port=18190
pids=()
for backend in $backends; do
  run_backend "$backend" "$port" >"$dir/out-$backend.txt" 2>&1 &
  pids+=("$!")
  port=$((port + 1))
done
failed=0
i=0
for backend in $backends; do
  wait "${pids[$i]}" || failed=1
  cat "$dir/out-$backend.txt"
  i=$((i + 1))
done
exit "$failed"
