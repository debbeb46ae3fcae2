#!/usr/bin/env bash
# Ledger write throughput: comparisons/s (3 discrepancies each) into a local PostgreSQL started for the run, and
# into SQLite, through the real LedgerWriter. Writes bench/results/ledger.md.
#
#   bench/ledger.sh [COUNT]        (default 200000 comparisons per backend)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-200000}
scratch=$(mktemp -d /tmp/tapcompare-ledger-bench.XXXXXX)
chmod 755 "$scratch"  # the postgres user must reach the cluster directory inside it
pgdir="$scratch/pg"
cleanup() {
    scripts/postgres.sh stop "$pgdir" >/dev/null 2>&1 || true
    rm -rf "$scratch"
}
trap cleanup EXIT

swift build -c release --scratch-path .build-release --product tapcompare-bench >&2
bench=.build-release/release/tapcompare-bench

url=$(scripts/postgres.sh start "$pgdir" | sed -n 's/^TAPCOMPARE_TEST_POSTGRES_URL=//p')
results="$scratch/results.jsonl"

"$bench" ledger --ledger "$url" --count "$count" --json "$results"
"$bench" ledger --ledger "sqlite:$scratch/bench.sqlite" --count "$count" --json "$results"

load=$(cut -d' ' -f1-3 /proc/loadavg)
pgversion=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1 | sed 's|/usr/lib/postgresql/||; s|/bin||')
mkdir -p bench/results
python3 - "$results" "$count" "$pgversion" "$load" > bench/results/ledger.md <<'PY'
import json, sys, os, datetime, platform
rows = [json.loads(l) for l in open(sys.argv[1])]
count, pg, load = sys.argv[2], sys.argv[3], sys.argv[4]
print("# Ledger write throughput")
print()
print(f"`bench/ledger.sh {count}` — {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
      f"{os.cpu_count()} cores, release build. Each comparison is a mismatch with 3 discrepancies and its "
      f"(redacted, capped) request and body samples, written through `LedgerWriter` (bounded queue, batches of "
      f"{rows[0]['batch_size']}, one transaction per batch). PostgreSQL {pg} is a local throwaway cluster with "
      f"default settings (`synchronous_commit=on`); SQLite is a WAL file with `synchronous=NORMAL`. "
      f"Load average at the end of the run: {load} (the machine is shared; figures move with it).")
print()
print("| Backend | Comparisons | Seconds | Comparisons/s | Discrepancies/s | Batches | Spooled | Dropped |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    print(f"| {r['backend']} | {r['count']:,} | {r['seconds']} | {r['comparisons_per_second']:,} | "
          f"{r['discrepancies_per_second']:,} | {r['batches']} | {r['spooled']} | {r['dropped']} |")
print()
print("Bar (issue 4): at least 20,000 comparisons/s into local PostgreSQL.")
PY
cat bench/results/ledger.md
