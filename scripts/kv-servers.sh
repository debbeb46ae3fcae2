#!/usr/bin/env bash
# Throwaway Redis and memcached servers for tests and benchmarks, on free loopback ports.
#
#   scripts/kv-servers.sh start DIR   start redis-server and memcached with their state under DIR; prints
#                                       TAPCOMPARE_TEST_REDIS_URL=redis://127.0.0.1:PORT/0
#                                       TAPCOMPARE_TEST_MEMCACHED=127.0.0.1:PORT
#   scripts/kv-servers.sh stop DIR    stop both (DIR is left for the caller to delete)
#
# Nothing is persisted (no RDB, no AOF). When the binaries are missing, Debian's `redis-server` and `memcached`
# packages are installed (root only).
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Waits until something accepts on 127.0.0.1:$1 (the servers daemonize before they listen).
wait_listening() {
    for _ in $(seq 1 200); do
        if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.2).close()" 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    echo "kv-servers.sh: nothing listens on port $1 after 10 s" >&2
    return 1
}

case "$cmd" in
start)
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v memcached >/dev/null 2>&1; then
        if [ "$(id -u)" -ne 0 ]; then
            echo "kv-servers.sh: redis-server or memcached not found and not root: install the 'redis-server' and 'memcached' packages" >&2
            exit 1
        fi
        echo "kv-servers.sh: installing redis-server and memcached from Debian packages" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends redis-server memcached >&2 || {
            apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends redis-server memcached >&2
        }
    fi
    redis_port=$(free_port)
    memcached_port=$(free_port)
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
        --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
    # -u: memcached refuses to run as root without naming a user.
    memcached -d -l 127.0.0.1 -p "$memcached_port" -U 0 -m 64 -P "$dir/memcached.pid" -u "$(id -un)" >/dev/null
    wait_listening "$redis_port"
    wait_listening "$memcached_port"
    echo "$redis_port" > "$dir/redis.port"
    echo "$memcached_port" > "$dir/memcached.port"
    echo "TAPCOMPARE_TEST_REDIS_URL=redis://127.0.0.1:$redis_port/0"
    echo "TAPCOMPARE_TEST_MEMCACHED=127.0.0.1:$memcached_port"
    ;;
stop)
    for name in redis memcached; do
        if [ -f "$dir/$name.pid" ]; then
            pid=$(cat "$dir/$name.pid")
            # memcached keeps nothing and takes seconds to honour SIGTERM: it is killed outright.
            if [ "$name" = memcached ]; then kill -9 "$pid" 2>/dev/null || true; else kill "$pid" 2>/dev/null || true; fi
            # Wait for it to go (memcached takes a moment on SIGTERM); SIGKILL after 5 s.
            for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
            kill -9 "$pid" 2>/dev/null || true
            rm -f "$dir/$name.pid"
        fi
    done
    ;;
*)
    usage
    ;;
esac
