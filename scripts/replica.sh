#!/usr/bin/env bash
# A PostgreSQL primary and its streaming standby (pg_basebackup), on spare ports, for the read
# replica tests; the local cluster is left alone. Commands:
#   start           initdb the primary, clone the standby from it, start both
#   stop            stop both and remove their files
#   standby-stop    stop the standby only (a lost replica)
#   standby-start   start it again
# WUFEI_REPLICA_DIR (/tmp/wufei-replica), WUFEI_REPLICA_PORTS ("55432 55433") change where;
# WUFEI_REPLICA_FSYNC=on makes the primary durable, as for a benchmark (tests run without).
set -euo pipefail
dir="${WUFEI_REPLICA_DIR:-/tmp/wufei-replica}"
read -r primary_port standby_port <<<"${WUFEI_REPLICA_PORTS:-55432 55433}"
bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"

# The server refuses to run as root: as root, run it as the postgres user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
ctl() { as_pg "$bin/pg_ctl" -D "$dir/$1" -l "$dir/$1.log" -w "${@:2}" >/dev/null; }

stop() {
  for node in standby primary; do
    [ -f "$dir/$node/postmaster.pid" ] && ctl "$node" -m fast stop || true
  done
}

case "${1:-}" in
start)
  stop
  rm -rf "$dir"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_pg "$bin/initdb" -D "$dir/primary" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  # Test data only: no fsync unless asked. Replication settings are PostgreSQL's defaults, stated.
  cat >>"$dir/primary/postgresql.conf" <<CONF
port = $primary_port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
wal_level = replica
max_wal_senders = 4
fsync = ${WUFEI_REPLICA_FSYNC:-off}
max_connections = 300
CONF
  ctl primary start
  as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$dir/standby" -R -X stream
  echo "port = $standby_port" >>"$dir/standby/postgresql.conf"
  ctl standby start
  echo "primary on $primary_port, streaming standby on $standby_port ($dir)"
  ;;
stop)
  stop
  rm -rf "$dir"
  ;;
standby-stop) ctl standby -m fast stop ;;
standby-start) ctl standby start ;;
*)
  echo "usage: $0 start|stop|standby-stop|standby-start" >&2
  exit 2
  ;;
esac
