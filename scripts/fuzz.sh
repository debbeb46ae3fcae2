#!/usr/bin/env bash
# Fuzzes the JSON parser, the diff engine, the rules loader and the gRPC codec with libFuzzer, each for a bounded time.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     (default 60)
#
# Seeds: every JSONTestSuite document (../shared/testdata), the fixture bodies and the diff-rules files.
# A crash is copied into fuzz/regressions/<target>/ (besides libFuzzer's own fuzz/artifacts/<target>/) and makes
# the script exit 1. Commit that file: FuzzRegressionTests replays every input there through the same property
# (Tests/TapCompareFuzzProperties), so the crash fails `scripts/test.sh` until it is fixed, and stays fixed.
# The kept regression inputs also seed the corpora.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
seconds=${1:-60}
testdata="$repo/../shared/testdata"
work=$(mktemp -d /tmp/tapcompare-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "==> building the fuzz targets (-sanitize=fuzzer,address)"
(cd fuzz && swift build -c release --scratch-path "$repo/.build-fuzz" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -g >/dev/null)
bin="$repo/.build-fuzz/release"

# Seed corpora.
mkdir -p "$work/json" "$work/diff" "$work/rules" "$work/grpc"
if [ -d "$testdata/JSONTestSuite/test_parsing" ]; then
  cp "$testdata"/JSONTestSuite/test_parsing/*.json "$work/json/"
fi
python3 - "$repo" "$work" <<'PY'
import base64, json, os, sys
repo, work = sys.argv[1], sys.argv[2]
bodies = []
for line in open(os.path.join(repo, "fixtures", "comments.capture.jsonl"), encoding="utf-8"):
    rec = json.loads(line)
    for side in ("legacy", "candidate"):
        r = rec.get(side) or {}
        b = r.get("body")
        if not isinstance(b, dict) or "data" not in b:
            continue
        data = base64.b64decode(b["data"]) if b.get("encoding") == "base64" else b["data"].encode()
        if data and len(data) < 64 * 1024:
            bodies.append(data)
for i, b in enumerate(bodies[:200]):
    open(os.path.join(work, "json", f"fixture-{i}.json"), "wb").write(b)
for i in range(0, min(len(bodies) - 1, 200), 2):
    open(os.path.join(work, "diff", f"pair-{i}"), "wb").write(bodies[i] + b"\0" + bodies[i + 1])
PY
cp diff-rules/*.yml "$work/rules/" 2>/dev/null || true
cp fuzz/regressions/FuzzJSONParser/* "$work/json/"
cp fuzz/regressions/FuzzDiffEngine/* "$work/diff/"
cp fuzz/regressions/FuzzRulesLoader/* "$work/rules/"
cp fuzz/regressions/FuzzGRPCMessages/* "$work/grpc/"

status=0
for target in FuzzJSONParser FuzzDiffEngine FuzzRulesLoader FuzzGRPCMessages; do
  case $target in
    FuzzJSONParser) corpus="$work/json" ;;
    FuzzDiffEngine) corpus="$work/diff" ;;
    FuzzRulesLoader) corpus="$work/rules" ;;
    FuzzGRPCMessages) corpus="$work/grpc" ;;
  esac
  mkdir -p "fuzz/artifacts/$target"
  echo "==> $target for ${seconds}s (corpus: $(ls "$corpus" | wc -l) seeds)"
  if ! "$bin/$target" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=262144 \
      -artifact_prefix="fuzz/artifacts/$target/" -print_final_stats=1 2>"$work/$target.log"; then
    kept=()
    for crash in fuzz/artifacts/"$target"/crash-* fuzz/artifacts/"$target"/timeout-* fuzz/artifacts/"$target"/oom-*; do
      [ -f "$crash" ] || continue
      cp "$crash" "fuzz/regressions/$target/"; kept+=("fuzz/regressions/$target/$(basename "$crash")")
    done
    tail -40 "$work/$target.log"
    echo "!! $target failed; kept as regression tests (commit them): ${kept[*]:-none (see the log above)}"; status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/$target.log" | sed "s/^/   /"
  fi
done
exit $status
