#!/usr/bin/env bash
# Ledger write throughput: comparisons/s (3 discrepancies each) into a local PostgreSQL started for the run, and
# into SQLite, through the real LedgerWriter; and, in the same run and into the same server and tables, a raw COPY
# reference: psql `\copy` of exactly the rows the writer stored. Adds a new top section to bench/results/ledger.md
# (older sections are kept below it).
#
#   bench/ledger.sh [COUNT]        (default 200000 comparisons per backend)
#
# Runs, in order: PostgreSQL through the writer (defaults); the rows it stored exported with `\copy … TO`, the
# tables truncated, and the same rows loaded back with `\copy … FROM` in one transaction (the reference); the
# tables truncated again and PostgreSQL through the writer with `--encode-ahead` (LedgerConfiguration.encodeAhead,
# off by default); SQLite.
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
psql_() { psql "$url" -X -q -v ON_ERROR_STOP=1 "$@"; }
truncate_ledger() {
    psql_ -c "TRUNCATE tapcompare.comparisons, tapcompare.discrepancies, tapcompare.rollup_outcomes, tapcompare.rollup_latency, tapcompare.rollup_fields"
}
now_ns() { date +%s%N; }

"$bench" ledger --ledger "$url" --count "$count" --json "$results"

# The raw COPY reference: the same rows (same count, same values) into the same tables of the same server.
psql_ -c "\\copy (SELECT * FROM tapcompare.comparisons) TO '$scratch/comparisons.copy'"
psql_ -c "\\copy (SELECT * FROM tapcompare.discrepancies) TO '$scratch/discrepancies.copy'"
copy_comparisons=$(wc -l < "$scratch/comparisons.copy")
copy_discrepancies=$(wc -l < "$scratch/discrepancies.copy")
truncate_ledger
start=$(now_ns)
psql_ <<SQL
BEGIN;
\\copy tapcompare.comparisons FROM '$scratch/comparisons.copy'
\\copy tapcompare.discrepancies FROM '$scratch/discrepancies.copy'
COMMIT;
SQL
end=$(now_ns)
echo "{\"backend\":\"copy\",\"comparisons\":$copy_comparisons,\"discrepancies\":$copy_discrepancies,\"nanoseconds\":$((end - start))}" >> "$results"
echo "raw COPY: $copy_comparisons comparison rows + $copy_discrepancies discrepancy rows in $(( (end - start) / 1000000 )) ms" >&2
truncate_ledger

"$bench" ledger --ledger "$url" --count "$count" --json "$results" --encode-ahead
"$bench" ledger --ledger "sqlite:$scratch/bench.sqlite" --count "$count" --json "$results"

load=$(cut -d' ' -f1-3 /proc/loadavg)
pgversion=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1 | sed 's|/usr/lib/postgresql/||; s|/bin||')
mkdir -p bench/results
previous="$scratch/previous.md"
if [ -f bench/results/ledger.md ]; then
    # Older sections stay below the new one, their top heading demoted to a section of its own.
    sed '1s/^# Ledger write throughput$/## Earlier runs/' bench/results/ledger.md > "$previous"
else
    : > "$previous"
fi
python3 - "$results" "$count" "$pgversion" "$load" "$previous" > bench/results/ledger.md <<'PY'
import json, sys, os, datetime
rows = [json.loads(l) for l in open(sys.argv[1])]
count, pg, load, previous = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
writer = [r for r in rows if r["backend"] != "copy"]
copy = next(r for r in rows if r["backend"] == "copy")
copy_rows = copy["comparisons"] + copy["discrepancies"]
copy_rate = copy_rows / (copy["nanoseconds"] / 1e9)
print("# Ledger write throughput")
print()
print(f"`bench/ledger.sh {count}` — {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
      f"{os.cpu_count()} cores, release build. Each comparison is a mismatch with 3 discrepancies and its "
      f"(redacted, capped) request and body samples, written through `LedgerWriter` (bounded queue, batches of "
      f"{writer[0]['batch_size']}, one transaction per batch; PostgreSQL: up to {writer[0].get('writers', 1)} batches "
      f"in flight on separate connections (`ledger.writers`), each by `COPY … FROM STDIN`, the primary key guarding "
      f"against ids already stored; SQLite: one batch at a time by multi-row `INSERT`s). PostgreSQL {pg} is a local "
      f"throwaway cluster with "
      f"default settings (`synchronous_commit=on`); SQLite is a WAL file with `synchronous=NORMAL`. "
      f"Load average at the end of the run: {load} (the machine is shared; figures move with it).")
print()
print(f"Raw COPY reference, same run, same server and tables: psql `\\copy … FROM` of the rows the first "
      f"PostgreSQL run stored ({copy['comparisons']:,} comparison rows + {copy['discrepancies']:,} discrepancy "
      f"rows, one transaction) took {copy['nanoseconds'] / 1e9:.3f} s = **{copy_rate:,.0f} rows/s**.")
print()
print("| Backend | Encode ahead | Comparisons | Seconds | Comparisons/s | Discrepancies/s | Rows/s (comparisons/s × (1 + discrepancies per comparison)) | ÷ raw COPY rows/s | Batches | Spooled | Dropped |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in writer:
    per = r["discrepancies_stored"] / r["count"] if r["count"] else 0
    rate = r["comparisons_per_second"] * (1 + per)
    ratio = f"{rate / copy_rate:.2f}" if r["backend"] == "postgres" else "—"
    print(f"| {r['backend']} | {'yes' if r['encode_ahead'] else 'no'} | {r['count']:,} | {r['seconds']} | "
          f"{r['comparisons_per_second']:,} | {r['discrepancies_per_second']:,} | {rate:,.0f} | {ratio} | "
          f"{r['batches']} | {r['spooled']} | {r['dropped']} |")
print()
print("Bar (issue 17): PostgreSQL rows/s at least 0.7 × raw COPY rows/s into the same server in the same run. "
      "Bar (issue 4): at least 20,000 comparisons/s into local PostgreSQL.")
text = open(previous).read().strip()
if text:
    print()
    print(text)
PY
cat bench/results/ledger.md | head -20
