#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks.
#
#   scripts/postgres.sh start DIR    initdb into DIR/data, listen on 127.0.0.1:<free port>, create a user with a
#                                    password and a database; prints
#                                      TAPCOMPARE_TEST_POSTGRES_URL=postgres://tapcompare:...@127.0.0.1:PORT/tapcompare?sslmode=disable
#                                      TAPCOMPARE_TEST_POSTGRES_DIR=DIR
#                                    (eval "$(scripts/postgres.sh start DIR)" exports nothing; prefix with export or
#                                    use `set -a`).
#   scripts/postgres.sh halt DIR     stop the server, keep the data (simulates an outage)
#   scripts/postgres.sh resume DIR   start it again on the same port
#   scripts/postgres.sh stop DIR     stop the server (DIR is left for the caller to delete)
#   scripts/postgres.sh tls DIR CERT KEY
#                                    serve TLS with this certificate and key (PEM files; copied into the cluster),
#                                    plain connections still accepted; reloads the running server
#
# PostgreSQL refuses to run as root; when run as root the cluster belongs to the `postgres` user. When the
# binaries are missing, Debian's `postgresql` package is installed.
set -euo pipefail

usage() { echo "usage: $0 start|stop|halt|resume DIR, or $0 tls DIR CERT KEY" >&2; exit 2; }
[ $# -eq 2 ] || { [ $# -eq 4 ] && [ "$1" = tls ]; } || usage
cmd=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)

find_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}
bin=$(find_bin)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "postgres.sh: PostgreSQL binaries not found and not root: install the 'postgresql' package" >&2
        exit 1
    fi
    echo "postgres.sh: installing postgresql from Debian packages" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2 || {
        apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2
    }
    bin=$(find_bin)
fi

as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

data="$dir/data"
sock="$dir/sock"
log="$dir/postgres.log"

pg_start() {
    local port
    port=$(cat "$dir/port")
    as_pg "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 \
        -o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c max_connections=200" start </dev/null >/dev/null 2>&1
}

case "$cmd" in
start)
    if [ -f "$data/PG_VERSION" ]; then
        echo "postgres.sh: $data already holds a cluster; stop it and remove $dir first" >&2
        exit 1
    fi
    mkdir -p "$data" "$sock"
    if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$dir"; fi
    password=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
    pwfile="$dir/superuser.pw"
    echo "$password" > "$pwfile"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$pwfile"; fi
    chmod 600 "$pwfile"
    as_pg "$bin/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        --pwfile="$pwfile" -E UTF8 --no-instructions >/dev/null
    rm -f "$pwfile"
    # A free port below the kernel's ephemeral range (net.ipv4.ip_local_port_range, 32768 and up here): the
    # outage tests halt and resume a cluster on the same port, and while it is down a listener bound to port 0
    # (any test's upstream) could otherwise be handed exactly that port, so the resume would fail.
    # The port is free when picked but can be taken before the server binds it (tests start clusters side by
    # side), so a start that fails is tried again on another port; the last failure shows the server's log.
    low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    attempt=1
    while :; do
        port=$(python3 -c '
import random, socket, sys
low = int(sys.argv[1])
for _ in range(200):
    port = random.randrange(max(1024, low - 12000), max(1025, low))
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
else:
    sys.exit("no free port below the ephemeral range")
' "$low")
        echo "$port" > "$dir/port"
        if pg_start; then break; fi
        if [ "$attempt" -ge 5 ]; then
            echo "postgres.sh: the server did not start in $attempt attempts (last on port $port); its log:" >&2
            tail -n 20 "$log" >&2
            exit 1
        fi
        echo "postgres.sh: the server did not start on port $port (attempt $attempt); its log:" >&2
        tail -n 5 "$log" >&2
        # A server that outlived pg_ctl's wait would hold the data directory against the next attempt.
        if [ -f "$data/postmaster.pid" ]; then as_pg "$bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true; fi
        attempt=$((attempt + 1))
    done
    as_pg "$bin/psql" -h "$sock" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
        -c "CREATE ROLE tapcompare LOGIN CREATEDB PASSWORD '$password'" \
        -c "CREATE DATABASE tapcompare OWNER tapcompare" >/dev/null
    echo "TAPCOMPARE_TEST_POSTGRES_URL=postgres://tapcompare:$password@127.0.0.1:$port/tapcompare?sslmode=disable"
    echo "TAPCOMPARE_TEST_POSTGRES_DIR=$dir"
    ;;
halt)
    as_pg "$bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null
    ;;
resume)
    # On failure, say why (the server's log), so a test that cannot bring its server back names the cause.
    pg_start || { tail -n 5 "$log" >&2; exit 1; }
    ;;
tls)
    install -m 600 "$3" "$data/server.crt"
    install -m 600 "$4" "$data/server.key"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$data/server.crt" "$data/server.key"; fi
    as_pg "$bin/psql" -h "$sock" -p "$(cat "$dir/port")" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
        -c "ALTER SYSTEM SET ssl = on" -c "ALTER SYSTEM SET ssl_cert_file = 'server.crt'" \
        -c "ALTER SYSTEM SET ssl_key_file = 'server.key'" -c "SELECT pg_reload_conf()" >/dev/null
    ;;
stop)
    if [ -f "$data/postmaster.pid" ]; then
        as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    fi
    ;;
*)
    usage
    ;;
esac
