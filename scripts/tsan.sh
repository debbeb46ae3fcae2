#!/usr/bin/env bash
# The test suite under ThreadSanitizer (a separate build folder, .build-tsan; the first build takes a while).
# Everything else is as in scripts/test.sh, which this calls.
#
#   scripts/tsan.sh                         # the suites TSan can run
#   SWIFT_TEST_ARGS="--filter Proxy" scripts/tsan.sh
#
# Skipped under TSan: the suites that start child processes (the `tapcompare` binary, a private PostgreSQL, a
# SIGKILLed writer). TSan's runtime aborts in a child forked from a multi-threaded process ("CHECK failed:
# tsan_rtl.cpp … ForkChildAfter"), so those suites cannot run under it; they run in scripts/test.sh. The browser
# step is skipped too (it drives a separately built binary). Also skipped: the test that malloc_trim hands freed
# heap back to the OS, since TSan replaces glibc's allocator (mallinfo2 reads zero and there is nothing to trim).
set -euo pipefail
cd "$(dirname "$0")/.."
export SWIFT_FLAGS="--sanitize=thread --scratch-path .build-tsan"
export SKIP_BROWSER_TEST=1
spawning='CommandLineTests|StreamingMemoryTests|CommandExitStatusTests|ReplayTests|CandidateFaultTests|DescriptorLimitTests|LedgerOutageTests|RuleReloadTests|outageWhile|spoolCapAndGapRow|sigkill'
allocator='releasingReturnsFreedMemoryStrandedInTheHeap'
export SWIFT_TEST_ARGS="${SWIFT_TEST_ARGS:---skip $spawning|$allocator}"
# TSan's documented slowdown is 5-15x: every test timeout that only guards against a hang (harness timeouts, wait
# loops, suite time limits) is multiplied by this (Tests/TapCompareTestSupport/TestTiming.swift). Timeouts a test
# expects to fire are not scaled.
export TAPCOMPARE_TEST_TIMEOUT_SCALE="${TAPCOMPARE_TEST_TIMEOUT_SCALE:-4}"
# Report every race, and fail the run on the first one. The suppressions file holds only reports shown to be
# false, each with its proof; the matched ones are listed at exit.
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1 print_suppressions=1 suppressions=$(pwd)/scripts/tsan-suppressions.txt}"
exec scripts/test.sh
