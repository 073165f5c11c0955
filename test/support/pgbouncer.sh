#!/usr/bin/env bash
# PgBouncer in transaction mode in front of a local PostgreSQL, for running the suite through a pooler as
# Supabase's transaction pooler (port 6543) would: no LISTEN and no session state between transactions.
#   test/support/pgbouncer.sh start DIR PORT UPSTREAM_PORT   writes DIR/pgbouncer.ini, starts it, prints the pooled base URL
#   test/support/pgbouncer.sh stop DIR
# Any database is passed through (the tests create one per file); trust auth, as the upstream in CI.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?DIR}

stop() {
  [ -f "$dir/pgbouncer.pid" ] || return 0
  local pid
  pid=$(cat "$dir/pgbouncer.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$dir/pgbouncer.pid"
}

case "$cmd" in
  start)
    port=${3:?PORT}
    upstream=${4:?UPSTREAM_PORT}
    mkdir -p "$dir"
    stop
    cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$upstream

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
pool_mode = transaction
auth_type = trust
auth_file = $dir/userlist.txt
admin_users = postgres
; per database: enough for a test file's pools, few enough for a shared server's max_connections
default_pool_size = 10
max_client_conn = 1000
; node-postgres and psql may send these; PgBouncer refuses unknown startup parameters otherwise
ignore_startup_parameters = extra_float_digits,options
pidfile = $dir/pgbouncer.pid
logfile = $dir/pgbouncer.log
INI
    # trust still needs the user listed
    echo '"postgres" ""' >"$dir/userlist.txt"
    # PgBouncer refuses to run as root: run it as Debian's postgres user, which must own its files.
    if [ "$(id -u)" = 0 ]; then
      chown -R postgres "$dir"
      runuser -u postgres -- pgbouncer -d -q "$dir/pgbouncer.ini"
    else
      pgbouncer -d -q "$dir/pgbouncer.ini"
    fi
    for _ in $(seq 1 50); do
      psql -h 127.0.0.1 -p "$port" -U postgres -Atqc 'select 1' postgres >/dev/null 2>&1 && break
      sleep 0.1
    done
    psql -h 127.0.0.1 -p "$port" -U postgres -Atqc 'select 1' postgres >/dev/null
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop) stop ;;
  *) echo "usage: $0 start DIR PORT UPSTREAM_PORT | stop DIR" >&2; exit 2 ;;
esac
