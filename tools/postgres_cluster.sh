#!/usr/bin/env bash
# A throwaway PostgreSQL server for the PostgreSQL test suites, on loopback, in a temporary directory.
#
#   eval "$(tools/postgres_cluster.sh start)"   # prints export lines: JVPLAB_TEST_POSTGRES_URL, JVPLAB_TEST_POSTGRES_DIR
#   tools/postgres_cluster.sh stop "$JVPLAB_TEST_POSTGRES_DIR"
#   tools/postgres_cluster.sh halt DIR | resume DIR   # stop the server and start it again, keeping its data
#
# initdb refuses to run as root, so as root (CI) the server runs as the `postgres` user that Debian's
# package creates; as anyone else it runs as that user. Logins need a password (scram-sha-256), so the
# tests can check a wrong one; the URL carries it.
set -euo pipefail

bin_dir() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$found" ] || { echo "postgres_cluster.sh: no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql)" >&2; exit 1; }
  echo "$found"
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Starts the server ("$@" are pg_ctl's arguments) holding none of our descriptors but 0-2. pg_ctl hands the
# postmaster every descriptor it was given, and a caller that learns of this script's end when one of them
# closes would wait for the server's end instead: Foundation's Process on Linux keeps one end of a socket
# pair in each child for that, so `swift test`'s waitUntilExit never returned from `start` or `resume`.
start_server() {
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
    done
    as_owner "$(bin_dir)/pg_ctl" "$@" start >/dev/null
  )
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "${1:-}" in
  start)
    bin=$(bin_dir)
    dir=$(mktemp -d /tmp/jvplab-postgres.XXXXXX)
    chmod 755 "$dir"
    password="jvplab-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
    printf '%s\n' "$password" > "$dir/pwfile"
    [ "$(id -u)" = 0 ] && chown -R postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U jvplab --pwfile="$dir/pwfile" -A scram-sha-256 -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    rm -f "$dir/pwfile"
    port=$(free_port)
    echo "$port" > "$dir/port"
    start_server -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=off" \
      || { cat "$dir/server.log" >&2; exit 1; }
    PGPASSWORD="$password" "$bin/createdb" -h 127.0.0.1 -p "$port" -U jvplab jvplab_test
    echo "export JVPLAB_TEST_POSTGRES_URL='postgresql://jvplab:$password@127.0.0.1:$port/jvplab_test'"
    echo "export JVPLAB_TEST_POSTGRES_DIR='$dir'"
    ;;
  stop)
    dir=${2:?usage: postgres_cluster.sh stop DIR}
    bin=$(bin_dir)
    if [ -d "$dir/data" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
    ;;
  halt)
    dir=${2:?usage: postgres_cluster.sh halt DIR}
    as_owner "$(bin_dir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  resume)
    dir=${2:?usage: postgres_cluster.sh resume DIR}
    port=$(cat "$dir/port")
    start_server -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=off"
    ;;
  *)
    echo "usage: postgres_cluster.sh start | stop DIR | halt DIR | resume DIR" >&2
    exit 2
    ;;
esac
