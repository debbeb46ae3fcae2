#!/usr/bin/env bash
# The one test command (README and .ci/run call exactly this).
#
# It installs what the tests need when missing (Debian packages), starts a throwaway PostgreSQL cluster for the
# ledger tests (every Postgres test runs against a real server) and throwaway Redis and memcached servers for the
# store clients (scripts/kv-servers.sh), builds with a warning check on our own code, runs `swift test`, and stops
# what it started, whatever happens.
#
# Environment:
#   TAPCOMPARE_TEST_POSTGRES_URL  use this server instead of starting one (outage tests then need
#                                 TAPCOMPARE_TEST_POSTGRES_DIR of a scripts/postgres.sh cluster too)
#   TAPCOMPARE_TEST_REDIS_URL, TAPCOMPARE_TEST_MEMCACHED
#                                 use these servers instead of starting them (both or neither)
#   SWIFT_TEST_ARGS               extra arguments for `swift test` (e.g. "--filter Ledger")
#   SWIFT_FLAGS                   flags for both `swift build` and `swift test` (scripts/tsan.sh sets
#                                 "--sanitize=thread --scratch-path .build-tsan")
#   TAPCOMPARE_TEST_TIMEOUT_SCALE multiplies the tests' guards against hangs, for slow builds (tsan.sh: 4)
#   SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH
#                                 how many tests run at once (default 16, see "tests" below)
#   SKIP_BROWSER_TEST             set to skip the review UI's headless-Chromium step (also skipped when
#                                 SWIFT_TEST_ARGS narrows the run with --filter)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

log() { printf '==> %s\n' "$*"; }

# --- what the tests need -------------------------------------------------------------------------------------
need_packages=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_packages+=(postgresql)
command -v xmllint >/dev/null 2>&1 || need_packages+=(libxml2-utils)
command -v openssl >/dev/null 2>&1 || need_packages+=(openssl)
command -v redis-server >/dev/null 2>&1 || need_packages+=(redis-server)
command -v memcached >/dev/null 2>&1 || need_packages+=(memcached)
# The UI's script is checked for syntax errors with node (ReviewAPITests).
command -v node >/dev/null 2>&1 || need_packages+=(nodejs)
# The browser step below (scripts/ui-browser-test.sh) drives Debian's chromium.
if [ -z "${SKIP_BROWSER_TEST:-}" ] && [[ "${SWIFT_TEST_ARGS:-}" != *--filter* ]]; then
  command -v chromium >/dev/null 2>&1 || need_packages+=(chromium fonts-liberation)
  command -v curl >/dev/null 2>&1 || need_packages+=(curl)
fi
if [ ${#need_packages[@]} -gt 0 ]; then
  log "installing ${need_packages[*]}"
  if [ "$(id -u)" = 0 ]; then sudo_=""; else sudo_="sudo"; fi
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends "${need_packages[@]}" >/dev/null
fi

# --- servers ---------------------------------------------------------------------------------------------------
pg_dir=""
kv_dir=""
cleanup() {
  if [ -n "$pg_dir" ]; then
    scripts/postgres.sh stop "$pg_dir" >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
  if [ -n "$kv_dir" ]; then
    scripts/kv-servers.sh stop "$kv_dir" >/dev/null 2>&1 || true
    rm -rf "$kv_dir"
  fi
}
trap cleanup EXIT INT TERM

if [ -z "${TAPCOMPARE_TEST_POSTGRES_URL:-}" ]; then
  pg_dir=$(mktemp -d /tmp/tapcompare-pg.XXXXXX)
  log "starting a throwaway PostgreSQL in $pg_dir"
  pg_env=$(scripts/postgres.sh start "$pg_dir")
  eval "$(printf '%s\n' "$pg_env" | grep -E '^TAPCOMPARE_TEST_POSTGRES_(URL|DIR)=')"
  # The outage tests stop and restart this server through scripts/postgres.sh halt|resume "$TAPCOMPARE_TEST_POSTGRES_DIR".
  export TAPCOMPARE_TEST_POSTGRES_URL TAPCOMPARE_TEST_POSTGRES_DIR
fi

if [ -z "${TAPCOMPARE_TEST_REDIS_URL:-}" ]; then
  kv_dir=$(mktemp -d /tmp/tapcompare-kv.XXXXXX)
  log "starting throwaway Redis and memcached servers in $kv_dir"
  kv_env=$(scripts/kv-servers.sh start "$kv_dir")
  eval "$(printf '%s\n' "$kv_env" | grep -E '^TAPCOMPARE_TEST_(REDIS_URL|MEMCACHED)=')"
  export TAPCOMPARE_TEST_REDIS_URL TAPCOMPARE_TEST_MEMCACHED
fi

# --- build, with no warnings in our own code --------------------------------------------------------------------
log "building"
build_log=$(mktemp)
set +e
# shellcheck disable=SC2086
swift build --build-tests ${SWIFT_FLAGS:-} >"$build_log" 2>&1
build_rc=$?
set -e
if [ $build_rc -ne 0 ]; then
  grep -E 'error:' "$build_log" | sort -u | head -50 || tail -50 "$build_log"
  log "build failed (exit $build_rc)"; exit 1
fi
if grep -E "^$repo/(Sources|Tests|bench)/.*warning:" "$build_log" | sort -u | grep . ; then
  log "our code has compiler warnings (above): fix them"; exit 1
fi
rm -f "$build_log"

# --- tests -----------------------------------------------------------------------------------------------------
log "running the tests"
# At most 16 tests at once (swift-testing's own default is all of them). Started together, the suite's ~770 tests
# queue seconds of work on a task pool of one thread per core, and a test's next step waits behind all of it: in
# full runs on 2 cores a 5 ms sleep resumed up to 5-7 s late in the run's opening seconds (11-12 s of such stalls in
# all), long enough for an in-process server, a store call or a replay to miss its deadline. At 16 the worst was
# 0.8 s (1.6 s in all) and the run took as long (59.6 s of tests against 55-61 s).
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH="${SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH:-16}"
# shellcheck disable=SC2086
swift test --skip-build ${SWIFT_FLAGS:-} ${SWIFT_TEST_ARGS:-}

# --- the review UI in a real browser -----------------------------------------------------------------------------
# Headless Chromium through the web UI over a seeded ledger, with the admin token (scripts/ui-browser-test.sh).
# After `swift test`, so a broken build or unit test fails first. Screenshots go to a temporary folder (kept
# when the step fails) so a test run never rewrites the committed ones in bench/results/ui/; run
# scripts/ui-browser-test.sh by hand to refresh those.
if [ -z "${SKIP_BROWSER_TEST:-}" ] && [[ "${SWIFT_TEST_ARGS:-}" != *--filter* ]]; then
  log "the review UI in headless Chromium"
  browser_started=$(date +%s)
  shots=$(mktemp -d /tmp/tapcompare-ui-shots.XXXXXX)
  scripts/ui-browser-test.sh "$shots"
  rm -rf "$shots"
  log "browser step: $(( $(date +%s) - browser_started ))s"
fi
