# Sourced by scripts/contract.sh and scripts/browser.sh (which set $bin and $pg).
#   start_demo BACKEND PORT DIR DB
# starts `wufei serve --demo` on a fresh database — SQLite under DIR, or the PostgreSQL database
# DB created from $pg — logs to DIR/BACKEND.log, waits until it is ready, and sets demo_pid.
start_demo() {
  local backend="$1" port="$2" dir="$3" db="$4" url
  case "$backend" in
    sqlite) url="sqlite://$dir/$backend.db" ;;
    postgres)
      psql "$pg" -qc "CREATE DATABASE $db"
      url="${pg%/*}/$db" ;;
    *) echo "unknown backend $backend"; return 2 ;;
  esac
  WUFEI_DATABASE_URL="$url" WUFEI_BIND="127.0.0.1:$port" WUFEI_DATA_DIR="$dir/data-$backend" \
    RUST_LOG=warn "$bin" serve --demo >"$dir/$backend.log" 2>&1 &
  demo_pid=$!
  for _ in $(seq 300); do
    curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && return 0
    sleep 0.2
  done
  cat "$dir/$backend.log"
  kill "$demo_pid"
  return 1
}
