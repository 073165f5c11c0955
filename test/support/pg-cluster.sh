#!/usr/bin/env bash
# A fresh, empty PostgreSQL cluster of its own (no roles but its superuser), for the migrations' role tests.
#   test/support/pg-cluster.sh start DIR PORT   prints the superuser's URL
#   test/support/pg-cluster.sh stop DIR
# PostgreSQL refuses to run as root: as root it runs as Debian's postgres user. PG_BIN defaults to PostgreSQL 15's.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?DIR}
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$cmd" in
  start)
    port=${3:?PORT}
    rm -rf "$dir"; mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ -f "$dir/data/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
