#!/usr/bin/env bash
# The whole test suite under ThreadSanitizer (a separate build folder, .build-tsan; the first build takes a
# while). Everything else is as in scripts/test.sh, which this calls.
#
#   scripts/tsan.sh                         # all tests
#   SWIFT_TEST_ARGS="--filter Proxy" scripts/tsan.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export SWIFT_FLAGS="--sanitize=thread --scratch-path .build-tsan"
# Report every race, and fail the run on the first one.
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1}"
exec scripts/test.sh
