#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on a loopback port, for the tests and the
# benchmark. Nothing is left behind: `stop` ends the server and removes its folder.
#
#   scripts/postgres.sh start DIR   initdb in DIR (empty or missing), start the
#                                   server, print its URL (postgres://billing@127.0.0.1:PORT/postgres);
#                                   it also takes TLS (ssl=on), with a certificate for
#                                   localhost and 127.0.0.1 signed by DIR/tls/ca.crt
#   scripts/postgres.sh stop DIR    stop the server in DIR (if it runs) and remove DIR
#   scripts/postgres.sh halt DIR    stop the server in DIR (pg_ctl stop -m fast), keeping DIR
#   scripts/postgres.sh resume DIR  start the halted server in DIR again, on the same port
#
# initdb and the server refuse to run as root: as root they run as the
# `postgres` user that Debian's package creates.
set -euo pipefail
cmd=${1:?start, stop, halt or resume}
dir=${2:?a folder for the cluster}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "postgres.sh: PostgreSQL is not installed (scripts/setup.sh --test installs it)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir" -U billing -A trust -E UTF8 --no-instructions >"$dir.initdb.log" 2>&1 \
        || { cat "$dir.initdb.log" >&2; exit 1; }
      rm -f "$dir.initdb.log"
    fi
    # TLS too (tests/tls/certs.sh): clients choose, with the URL's sslmode.
    if [ ! -f "$dir/tls/server.key" ]; then
      "$(dirname "$0")/../tests/tls/certs.sh" "$dir/tls"
      [ "$(id -u)" = 0 ] && chown -R postgres: "$dir/tls"
    fi
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # Loopback only, its socket in its own folder; fsync stays on (the store refuses it off).
    echo "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 \
      -c ssl=on -c ssl_cert_file=$dir/tls/server.crt -c ssl_key_file=$dir/tls/server.key" >"$dir.options"
    as_owner "$bin/pg_ctl" -D "$dir" -w -t 60 -l "$dir/server.log" -o "$(cat "$dir.options")" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgres://billing@127.0.0.1:$port/postgres"
    ;;
  halt)
    as_owner "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
    ;;
  resume)
    as_owner "$bin/pg_ctl" -D "$dir" -w -t 60 -l "$dir/server.log" -o "$(cat "$dir.options")" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    ;;
  stop)
    if [ -f "$dir/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$dir" "$dir.options"
    ;;
  *)
    echo "postgres.sh: start, stop, halt or resume" >&2
    exit 2
    ;;
esac
