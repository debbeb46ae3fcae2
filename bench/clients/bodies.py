"""Writes the JSON bodies bench/proxy.sh's upstreams serve, from a fixed seed so every run serves the same bytes.

    python3 bodies.py DIR

comments.json: a page of 20 comments as a comment API returns them (ids, nested authors, timestamps, text of
varying length, tags, counters, booleans, nulls). item.json: one 2 KB object whose size is mostly one long
string (the body of earlier runs, kept for comparison with them).
"""
import json
import random
import sys

out = sys.argv[1]
rng = random.Random(20261205)
words = (
    "the migration keeps every answer the same but the new service is faster and the old one is retired "
    "once the ledger shows no discrepancy for a week of traffic on every route we care about"
).split()


def sentence(n):
    return " ".join(rng.choice(words) for _ in range(n)).capitalize() + "."


comments = []
for i in range(20):
    author = rng.randrange(1000, 99999)
    comments.append({
        "id": 88120000 + i,
        "post_id": 4411,
        "parent_id": None if i % 4 == 0 else 88120000 + i - 1,
        "author": {
            "id": author,
            "name": rng.choice(["Ada", "Grace", "Linus", "Barbara", "Ken", "Margaret"]),
            "avatar_url": f"https://cdn.example.com/avatars/{author}.png",
            "verified": i % 3 == 0,
        },
        "body": sentence(rng.randrange(6, 30)),
        "created_at": f"2026-11-{10 + i % 18:02d}T{i % 24:02d}:{(i * 7) % 60:02d}:00Z",
        "edited_at": None if i % 5 else f"2026-11-{11 + i % 18:02d}T08:00:00Z",
        "score": rng.randrange(-5, 250),
        "reply_count": rng.randrange(0, 12),
        "tags": rng.sample(["question", "answer", "bug", "praise", "off-topic", "duplicate"], rng.randrange(0, 3)),
        "flags": {"spam": False, "pinned": i == 0, "locked": False},
    })
page = {"post_id": 4411, "comments": comments, "next_cursor": "eyJpZCI6ODgxMjAwMjB9", "total": 214}
with open(f"{out}/comments.json", "w") as f:
    f.write(json.dumps(page, separators=(",", ":")))

item = {"id": 8812, "author": {"id": 17, "name": "Ada"}, "text": "", "tags": ["a", "b", "c"], "replies": []}
item["text"] = "x" * (2048 - len(json.dumps(item, separators=(",", ":"))))
with open(f"{out}/item.json", "w") as f:
    f.write(json.dumps(item, separators=(",", ":")))
