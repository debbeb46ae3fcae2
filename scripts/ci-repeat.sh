#!/usr/bin/env bash
# Runs CI as it runs after a submission, N times in a row, each on a fresh clone of COMMIT: the proof that the
# suite is not flaky (issues 20 and 22 ask for 10 clean runs). One line per run is appended to RESULTS.
#
#   scripts/ci-repeat.sh COMMIT N [RESULTS]      e.g. scripts/ci-repeat.sh HEAD 10 /tmp/ci-results.txt
#
# Each clone gets ../shared beside it (a link to this checkout's ../shared), as CI has. Clones go to
# /tmp/ci-repeat-*/ and their build folders are removed after each run; a run's log stays as log.txt there.
set -uo pipefail
[ $# -ge 2 ] || { echo "usage: $0 COMMIT N [RESULTS]" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$repo" rev-parse --short "$1") || exit 2
n=$2
results=${3:-/tmp/ci-repeat-results.txt}
for i in $(seq 1 "$n"); do
  dir=$(mktemp -d /tmp/ci-repeat-XXXXXX)
  git clone -q "$repo" "$dir/main" && git -C "$dir/main" checkout -q "$commit"
  ln -s "$repo/../shared" "$dir/shared"
  start=$(date +%s)
  (cd "$dir/main" && CI=true bash .ci/run) > "$dir/log.txt" 2>&1 < /dev/null
  rc=$?
  summary=$(grep -E "Test run with|✘ Test" "$dir/log.txt" | tail -2 | tr '\n' ' ')
  echo "run $i/$n commit $commit exit $rc $(( $(date +%s) - start ))s load $(cut -d' ' -f1 /proc/loadavg) log $dir/log.txt $summary" | tee -a "$results"
  rm -rf "$dir/main/.build"
done
