"""Turns `strace -c` summaries into a Markdown table of system calls per request (bench/proxy.sh, SCENARIOS=syscalls).

    python3 strace_per_request.py SUMMARY REQUESTS [SUMMARY REQUESTS ...]

One column per summary: each call count divided by the requests served while it was traced. Rows are sorted by
the largest count; a call below 0.01 per request in every column gets no row but is in the totals.
"""
import sys

columns = []
for path, requests in zip(sys.argv[1::2], sys.argv[2::2]):
    calls = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            # "% time  seconds  usecs/call  calls  [errors]  syscall"; the header, rulers and total are skipped.
            if len(parts) >= 5 and parts[0][0].isdigit() and parts[-1] != "total":
                calls[parts[-1]] = int(parts[3])
    columns.append({name: n / max(1, int(requests)) for name, n in calls.items()})

names = sorted({n for c in columns for n in c}, key=lambda n: -max(c.get(n, 0) for c in columns))
for name in names:
    if max(c.get(name, 0) for c in columns) < 0.01:
        continue
    print("| " + " | ".join([name] + [f"{c.get(name, 0):.2f}" for c in columns]) + " |")
print("| " + " | ".join(["**total**"] + [f"**{sum(c.values()):.2f}**" for c in columns]) + " |")
