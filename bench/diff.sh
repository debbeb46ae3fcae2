#!/usr/bin/env bash
# Diff engine benchmark: normalize+diff throughput on comment trees of 1 KB, 64 KB and 1 MB, beside Foundation
# JSONSerialization parse-only (same run, same bytes) and Python's deepdiff (on the same pairs).
# Writes the table to bench/results/diff.md.
#
#   bench/diff.sh                 # build release, run everything
#   SECONDS_PER_CASE=2 bench/diff.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_CASE="${SECONDS_PER_CASE:-1}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "== building (release)" >&2
swift build -c release --scratch-path .build-release --product tapcompare-bench >&2

echo "== swift: tapcompare diff engine and Foundation JSONSerialization" >&2
.build-release/release/tapcompare-bench diff --fixtures "$WORK/pairs" --seconds "$SECONDS_PER_CASE" | tee "$WORK/swift.tsv" >&2

# deepdiff from PyPI, in a private virtual environment unless it is already importable.
PY=python3
if ! "$PY" -c 'import deepdiff' 2>/dev/null; then
  VENV="${TAPCOMPARE_BENCH_VENV:-${TMPDIR:-/tmp}/tapcompare-bench-venv}"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/python" -c 'import deepdiff' 2>/dev/null || "$VENV/bin/pip" install -q deepdiff >&2
  PY="$VENV/bin/python"
fi

echo "== python: deepdiff on the same pairs" >&2
"$PY" - "$WORK/pairs" "$WORK/swift.tsv" "$SECONDS_PER_CASE" > bench/results/diff.md <<'PYEOF'
import json, os, platform, subprocess, sys, time
import deepdiff

pairs, swift_tsv, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
rows = [line.rstrip("\n").split("\t") for line in open(swift_tsv)][1:]

def deepdiff_mb_s(legacy, candidate):
    # Same work as the Swift engine: parse both bodies, then diff (ignore_order=False: arrays are ordered).
    # CPU time of this (single-threaded) process, like the Swift figures: per core, whatever else runs.
    def once():
        deepdiff.DeepDiff(json.loads(legacy), json.loads(candidate))
    once()
    n, start = 0, time.process_time()
    while True:
        once(); n += 1
        elapsed = time.process_time() - start
        if elapsed >= seconds: break
    return len(legacy) * n / elapsed / 1e6

cpu = "unknown"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip(); break
except OSError:
    pass

print("# Diff engine benchmark\n")
print(f"Measured by `bench/diff.sh` on {cpu}, {os.cpu_count()} cores, one core per measurement;")
print(f"Python {platform.python_version()}, deepdiff {deepdiff.__version__}.\n")
print("Throughput = legacy body bytes / CPU time of one whole comparison (both bodies parsed and normalized, then diffed),")
print("in MB/s (10^6 bytes) per core: the measuring thread's CPU time, so other work on a shared machine does not count.")
print("Foundation = `JSONSerialization.jsonObject` on both bodies, parse only (no diff).")
print("deepdiff = `DeepDiff(json.loads(legacy), json.loads(candidate))` on the same bytes. `identical` short-circuits on")
print("equal bytes by design; `equal-reordered` has every object's keys reversed, so it parses and walks everything.\n")
print("The `+10rules` case applies ten diff rules (ignore ×3, equivalent ×3, tolerance, unordered by id, replace,")
print("status_equivalent); deepdiff runs without any on the same pair. Wall-clock tapcompare MB/s is shown for reference.\n")
print("| size | case | bytes | fields changed | discrepancies | tapcompare MB/s | Foundation parse-only MB/s | deepdiff MB/s | tapcompare / Foundation | tapcompare / deepdiff | tapcompare wall MB/s |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for size, case, nbytes, changed, disc, swift, foundation, wall in rows:
    legacy = open(os.path.join(pairs, f"{size}-{case}-legacy.json"), "rb").read()
    candidate = open(os.path.join(pairs, f"{size}-{case}-candidate.json"), "rb").read()
    dd = deepdiff_mb_s(legacy, candidate)
    s, f = float(swift), float(foundation)
    print(f"| {size} | {case} | {nbytes} | {changed} | {disc} | {s:.1f} | {f:.1f} | {dd:.2f} | {s/f:.1f}× | {s/dd:.0f}× | {float(wall):.1f} |")
    sys.stdout.flush()
PYEOF
cat bench/results/diff.md
