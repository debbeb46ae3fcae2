#!/usr/bin/env python3
"""Generates fixtures/comments.capture.jsonl: a captured session of a comment service.

The session is what `tapcompare serve` with `capture:` would have written in front of the legacy comment
backend (a Python monolith) while its Go rewrite ran as the candidate: reads mirrored to the candidate, writes
not mirrored (candidate skipped with reason `unsafe_method`), a few candidate timeouts and errors.

Deterministic: the same seed gives the same bytes. Run from the repository root:

    python3 scripts/gen-fixtures.py [--seed 20261122] [--count 260] [-o fixtures/comments.capture.jsonl]

The candidate responses carry the same regressions as the demo candidate service
(Sources/TapCompareApp/Demo/DemoRegressions.swift), so keep the two in step:
  1. `GET /api/v1/posts/{id}/comments`: `score` is a JSON string instead of a number (at every depth);
  2. `GET /api/v1/comments/{id}/replies`: `reply_count` is missing from every reply;
  3. `GET /api/v1/comments/{id}`: nested `replies` come oldest first instead of best first;
  4. everywhere: timestamps end in `Z` instead of `+00:00` (noise the example diff-rules normalize).
"""
import argparse
import base64
import datetime as dt
import html
import json
import math
import random
import uuid

HOST = "comments.internal"
BASE_TIME = dt.datetime(2026, 11, 20, 14, 0, 0, tzinfo=dt.timezone.utc)

AUTHORS = [
    (4, "ada", True), (17, "grace_h", True), (311, "linus", False), (2048, "margaret.h", True),
    (90210, "Zoë Ångström", True), (123457, "ביאליק", True), (777001, "山田太郎", False),
    (4242424, "Amélie", True), (31337, "l33t", True), (56, "أحمد", True), (8675309, "jenny", False),
    (1000003, "Nguyễn Văn An", True),
]

TEXTS = [
    "Great write-up, thanks!",
    "I don't think that's right. The benchmark in the second table uses a warm cache.",
    "Has anyone tried this on ARM? 🤔",
    "Came here to say this 👍🏽👍🏽",
    "LGTM 🚀🔥 — shipping it",
    "שלום! זה עובד מצוין אצלי.",
    "مرحبا، هل يمكنك مشاركة الكود؟",
    "这个方法在大数据量下性能如何？",
    "日本語のテキストも大丈夫ですか？",
    "한국어 댓글 테스트입니다.",
    "Cafe\u0301 vs Café — combining marks are not the same bytes.",
    "Z\u0351\u036b\u0343a\u0352\u0358l\u0361g\u0308o text is still text",
    "Family: 👨‍👩‍👧‍👦, flag: 🇺🇦, keycap: 1️⃣",
    "Quote \"this\" and a back\\slash and a tab\there.",
    "Line one\nLine two\n\nNew paragraph.",
    "<script>alert('xss')</script> should be escaped",
    "See https://example.com/docs?a=1&b=2 for details.",
    "Mixed: English עברית English 123",
    "Edge case: the id is 9007199254740993, which is 2^53 + 1.",
    "Ok.",
    "I measured p99 at 412 ms before the change and 97 ms after. 📉",
    "Why does the API return `reply_count` but not the replies themselves past depth 3?",
    "+1",
    "Это работает и на Linux.",
    "Ελληνικά: καλημέρα κόσμε",
    "Math: ∀x ∈ ℝ, x² ≥ 0 ✓",
]

EDIT_SUFFIXES = [" (edited: fixed a typo)", " — update: it works now ✅", " [edit: see below]"]


def rfc3339(t):
    """Python's isoformat: microseconds and +00:00, as the legacy monolith writes them."""
    return t.isoformat(timespec="microseconds")


def go_rfc3339(text):
    """Go's time.RFC3339Nano as the candidate writes it: Z instead of +00:00, trailing zeros dropped."""
    if text is None or not text.endswith("+00:00"):
        return text
    body = text[: -len("+00:00")]
    if "." in body:
        body = body.rstrip("0").rstrip(".")
    return body + "Z"


def body_html(text):
    paragraphs = [p for p in text.split("\n\n")]
    out = []
    for p in paragraphs:
        escaped = html.escape(p, quote=True).replace("\n", "<br>")
        out.append("<p>" + escaped + "</p>")
    return "".join(out)


class Session:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.clock = BASE_TIME
        self.comments = {}  # id -> dict (internal)
        self.posts = {}  # post id -> [top-level ids]
        self.next_snowflake = 1_790_123_456_789_012_345  # > 2^53, as a snowflake id generator gives
        self.records = []

    # -- data -----------------------------------------------------------------------------------------
    def snowflake(self):
        self.next_snowflake += self.rng.randint(1_000, 90_000_000)
        return self.next_snowflake

    def author(self):
        aid, name, has_avatar = self.rng.choice(AUTHORS)
        return {
            "id": aid,
            "name": name,
            "avatar_url": f"https://cdn.example.com/avatars/{aid}/{uuid.UUID(int=self.rng.getrandbits(128)).hex[:12]}.png"
            if has_avatar else None,
        }

    def new_comment(self, post_id, parent_id, created, text=None):
        cid = self.snowflake()
        text = text if text is not None else self.rng.choice(TEXTS)
        c = {
            "id": cid, "post_id": post_id, "parent_id": parent_id, "author": self.author(),
            "body": text, "score": self.rng.choice([0, 0, 1, 1, 2, 3, 5, 8, 13, 42, 128, -1, -3, 1024]),
            "created_at": created, "updated_at": created, "is_deleted": False, "children": [],
        }
        self.comments[cid] = c
        if parent_id is None:
            self.posts.setdefault(post_id, []).append(cid)
        else:
            self.comments[parent_id]["children"].append(cid)
        return c

    def seed_data(self):
        for post_id in [48213, 48214, 50001, 61234, 70007, 9_007_199_254_740_993]:
            self.posts[post_id] = []
            for _ in range(self.rng.randint(3, 9)):
                created = BASE_TIME - dt.timedelta(minutes=self.rng.randint(60, 60 * 24 * 30), microseconds=self.rng.randint(0, 999_999))
                top = self.new_comment(post_id, None, created)
                self.grow(top, depth=1, max_depth=self.rng.choice([0, 1, 2, 3, 4, 5, 6]))

    def grow(self, parent, depth, max_depth):
        if depth > max_depth:
            return
        for _ in range(self.rng.choice([0, 1, 1, 2, 3])):
            created = parent["created_at"] + dt.timedelta(minutes=self.rng.randint(1, 600), microseconds=self.rng.randint(0, 999_999))
            child = self.new_comment(parent["post_id"], parent["id"], created)
            self.grow(child, depth + 1, max_depth)

    # -- rendering (legacy monolith's serializer) ---------------------------------------------------
    def live_children(self, c):
        return [self.comments[i] for i in c["children"] if i in self.comments]

    def render(self, c, depth_left):
        kids = self.live_children(c)
        kids.sort(key=lambda k: (-k["score"], k["id"]))  # best first, ties by id
        deleted = c["is_deleted"]
        return {
            "id": c["id"],
            "post_id": c["post_id"],
            "parent_id": c["parent_id"],
            "author": None if deleted else c["author"],
            "body": None if deleted else c["body"],
            "body_html": None if deleted else body_html(c["body"]),
            "score": c["score"],
            "created_at": rfc3339(c["created_at"]),
            "updated_at": rfc3339(c["updated_at"]),
            "reply_count": len(kids),
            "is_deleted": deleted,
            "replies": [self.render(k, depth_left - 1) for k in kids] if depth_left > 0 else [],
        }

    def sort_key(self, sort):
        if sort == "new":
            return lambda k: (-k["created_at"].timestamp(), -k["id"])
        return lambda k: (-k["score"], k["id"])

    # -- HTTP ------------------------------------------------------------------------------------------
    def request_id(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def latency_legacy(self):
        # The monolith: log-normal around 18 ms, and a slow tail (GC pauses, cold caches) on ~4% of requests.
        if self.rng.random() < 0.04:
            return round(self.rng.uniform(180, 650), 3)
        return round(math.exp(self.rng.gauss(math.log(18), 0.45)), 3)

    def latency_candidate(self):
        if self.rng.random() < 0.01:
            return round(self.rng.uniform(35, 90), 3)
        return round(math.exp(self.rng.gauss(math.log(7), 0.35)), 3)

    def tick(self):
        self.clock += dt.timedelta(milliseconds=self.rng.randint(20, 4_000))
        return self.clock

    def add(self, method, uri, route, status, body, req_body=None, write=False, user=None):
        rid = self.request_id()
        started = self.tick()
        user = user or self.rng.choice(AUTHORS)
        req_headers = [
            ["Host", HOST],
            ["User-Agent", self.rng.choice(["CommentsWeb/5.12.0", "CommentsiOS/4.2 (iPhone; iOS 19.1)", "okhttp/4.12.0"])],
            ["Accept", "application/json"],
            ["Accept-Encoding", "gzip"],
            ["Authorization", "[REDACTED]"],
            ["Cookie", "[REDACTED]"],
            ["X-Request-Id", rid],
            ["X-Forwarded-For", f"203.0.113.{self.rng.randint(1, 254)}"],
        ]
        req_body_text = None
        if req_body is not None:
            req_body_text = json.dumps(req_body, ensure_ascii=False, separators=(",", ":"))
            req_headers.append(["Content-Type", "application/json"])
            req_headers.append(["Content-Length", str(len(req_body_text.encode()))])
        legacy_text = None if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        res_headers = [
            ["Content-Type", "application/json; charset=utf-8"],
            ["X-Request-Id", rid],
            ["Cache-Control", "no-store" if write or status >= 400 else "private, max-age=5"],
            ["Vary", "Accept-Encoding"],
            ["Vary", "Authorization"],
        ]
        if legacy_text is None:
            res_headers = [h for h in res_headers if h[0] != "Content-Type"]
        legacy = {
            "status": status, "http_version": "1.1", "headers": res_headers,
            "body": None if legacy_text is None else {"encoding": "utf8", "data": legacy_text},
            "body_length": 0 if legacy_text is None else len(legacy_text.encode()),
            "latency_ms": self.latency_legacy(),
        }
        if write:
            candidate = {"result": "skipped", "reason": "unsafe_method"}
        else:
            roll = self.rng.random()
            if roll < 0.015:
                candidate = {"result": "timed_out", "latency_ms": 5000.0}
            elif roll < 0.025:
                candidate = {"result": "failed", "reason": "connection reset by peer", "latency_ms": round(self.rng.uniform(1, 4), 3)}
            else:
                cbody = None if body is None else regress(route, body)
                ctext = None if cbody is None else json.dumps(cbody, ensure_ascii=False, separators=(",", ":"))
                # The Go service sets the same Content-Type and Cache-Control as the monolith, but no Vary.
                cheaders = [h for h in res_headers if h[0] in ("Content-Type", "Cache-Control")] + [["X-Request-Id", rid]]
                candidate = {"result": "response", "response": {
                    "status": status, "http_version": "1.1", "headers": cheaders,
                    "body": None if ctext is None else {"encoding": "utf8", "data": ctext},
                    "body_length": 0 if ctext is None else len(ctext.encode()),
                    "latency_ms": self.latency_candidate(),
                }}
        record = {
            "version": 1,
            "id": str(uuid.UUID(int=(int(started.timestamp() * 1000) << 80) | (0x7 << 76) | (2 << 62) | self.rng.getrandbits(62))),
            "request_id": rid,
            "route": route,
            "started_at": started.strftime("%Y-%m-%dT%H:%M:%S.") + f"{started.microsecond // 1000:03d}Z",
            "request": {
                "method": method, "uri": uri, "http_version": "1.1", "headers": req_headers,
                "body": None if req_body_text is None else {"encoding": "utf8", "data": req_body_text},
                "body_length": 0 if req_body_text is None else len(req_body_text.encode()),
            },
            "legacy": legacy,
            "candidate": candidate,
        }
        # Drop nulls for absent bodies: the format treats a missing body as empty.
        for part in (record["request"], record["legacy"]):
            if part["body"] is None:
                del part["body"]
        if candidate.get("response") and candidate["response"]["body"] is None:
            del candidate["response"]["body"]
        self.records.append(record)

    def not_found(self, what, ident, rid_hint=None):
        return {"error": {"code": "not_found", "message": f"{what} {ident} not found"}}

    # -- traffic ---------------------------------------------------------------------------------------
    def existing_id(self, live_only=True):
        ids = [i for i, c in self.comments.items() if not (live_only and c["is_deleted"])]
        return self.rng.choice(sorted(ids))

    def missing_id(self):
        return self.rng.choice([1, 404, 9_007_199_254_740_993, 1_790_000_000_000_000_001, 18_446_744_073_709_551_615 - self.rng.randint(0, 9)])

    def step(self):
        r = self.rng.random()
        if r < 0.24:
            cid = self.existing_id(live_only=False)
            self.add("GET", f"/api/v1/comments/{cid}", "GET /api/v1/comments/{id}", 200, self.render(self.comments[cid], 3))
        elif r < 0.36:
            cid = self.existing_id()
            sort = self.rng.choice(["top", "new"])
            limit = self.rng.choice([5, 10, 20])
            kids = sorted(self.live_children(self.comments[cid]), key=self.sort_key(sort))
            page = kids[:limit]
            body = {"comment_id": cid, "sort": sort, "replies": [self.render(k, 1) for k in page],
                    "next_cursor": base64.urlsafe_b64encode(f"o:{limit}".encode()).decode() if len(kids) > limit else None}
            self.add("GET", f"/api/v1/comments/{cid}/replies?sort={sort}&limit={limit}", "GET /api/v1/comments/{id}/replies", 200, body)
        elif r < 0.56:
            post_id = self.rng.choice(sorted(self.posts))
            sort = self.rng.choice(["top", "new", "top"])
            limit = self.rng.choice([10, 20, 50])
            tops = [self.comments[i] for i in self.posts[post_id] if i in self.comments]
            tops.sort(key=self.sort_key(sort))
            body = {"post_id": post_id, "sort": sort, "total": len(tops),
                    "comments": [self.render(c, 2) for c in tops[:limit]],
                    "next_cursor": base64.urlsafe_b64encode(f"o:{limit}".encode()).decode() if len(tops) > limit else None}
            uri = f"/api/v1/posts/{post_id}/comments?sort={sort}" + (f"&limit={limit}" if limit != 20 else "")
            self.add("GET", uri, "GET /api/v1/posts/{id}/comments", 200, body)
        elif r < 0.66:
            post_id = self.rng.choice(sorted(self.posts))
            parent = None
            if self.rng.random() < 0.6:
                candidates = [i for i, c in self.comments.items() if c["post_id"] == post_id and not c["is_deleted"]]
                parent = self.rng.choice(sorted(candidates)) if candidates else None
            text = self.rng.choice(TEXTS)
            c = self.new_comment(post_id, parent, self.clock + dt.timedelta(milliseconds=3), text)
            c["score"] = 1
            self.add("POST", "/api/v1/comments", "POST /api/v1/comments", 201, self.render(c, 0),
                     req_body={"post_id": post_id, "parent_id": parent, "body": text}, write=True)
        elif r < 0.74:
            method = "PUT" if self.rng.random() < 0.25 else "PATCH"
            route = "PATCH /api/v1/comments/{id}" if method == "PATCH" else "PUT /api/v1/comments/{id}"
            cid = self.existing_id()
            c = self.comments[cid]
            c["body"] = c["body"] + self.rng.choice(EDIT_SUFFIXES)
            c["updated_at"] = self.clock + dt.timedelta(milliseconds=2)
            self.add(method, f"/api/v1/comments/{cid}", route, 200, self.render(c, 0), req_body={"body": c["body"]}, write=True)
        elif r < 0.84:
            cid = self.existing_id()
            c = self.comments[cid]
            direction = self.rng.choice([1, 1, 1, -1])
            c["score"] += direction
            self.add("POST", f"/api/v1/comments/{cid}/votes", "POST /api/v1/comments/{id}/votes", 200,
                     {"comment_id": cid, "score": c["score"], "user_vote": direction}, req_body={"direction": direction}, write=True)
        elif r < 0.90:
            cid = self.existing_id()
            c = self.comments[cid]
            c["is_deleted"] = True
            c["updated_at"] = self.clock
            self.add("DELETE", f"/api/v1/comments/{cid}", "DELETE /api/v1/comments/{id}", 204, None, write=True)
        else:
            kind = self.rng.choice(["get", "get", "replies", "post", "patch", "delete", "vote"])
            mid = self.missing_id()
            if kind == "get":
                self.add("GET", f"/api/v1/comments/{mid}", "GET /api/v1/comments/{id}", 404, self.not_found("comment", mid))
            elif kind == "replies":
                self.add("GET", f"/api/v1/comments/{mid}/replies?sort=top", "GET /api/v1/comments/{id}/replies", 404, self.not_found("comment", mid))
            elif kind == "post":
                self.add("GET", f"/api/v1/posts/{mid}/comments?sort=new", "GET /api/v1/posts/{id}/comments", 404, self.not_found("post", mid))
            elif kind == "patch":
                self.add("PATCH", f"/api/v1/comments/{mid}", "PATCH /api/v1/comments/{id}", 404, self.not_found("comment", mid), req_body={"body": "edit"}, write=True)
            elif kind == "delete":
                self.add("DELETE", f"/api/v1/comments/{mid}", "DELETE /api/v1/comments/{id}", 404, self.not_found("comment", mid), write=True)
            else:
                self.add("POST", f"/api/v1/comments/{mid}/votes", "POST /api/v1/comments/{id}/votes", 404, self.not_found("comment", mid), req_body={"direction": 1}, write=True)


def regress(route, body):
    """The Go candidate's answer for the same data: the regressions listed in the module docstring."""
    body = json.loads(json.dumps(body))  # deep copy (ints stay exact in Python)

    def walk(v, fn):
        if isinstance(v, dict):
            fn(v)
            for x in v.values():
                walk(x, fn)
        elif isinstance(v, list):
            for x in v:
                walk(x, fn)

    def timestamps(d):
        for k in ("created_at", "updated_at"):
            if isinstance(d.get(k), str):
                d[k] = go_rfc3339(d[k])

    walk(body, timestamps)
    if route == "GET /api/v1/posts/{id}/comments":
        def score_as_string(d):
            if isinstance(d.get("score"), int) and "post_id" in d and "body" in d:
                d["score"] = str(d["score"])
        walk(body, score_as_string)
    elif route == "GET /api/v1/comments/{id}/replies":
        for reply in body.get("replies", []):
            reply.pop("reply_count", None)
    elif route == "GET /api/v1/comments/{id}":
        def oldest_first(d):
            if isinstance(d.get("replies"), list) and "post_id" in d:
                d["replies"].sort(key=lambda r: (r["created_at"], r["id"]))
        walk(body, oldest_first)
    return body


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--count", type=int, default=260)
    parser.add_argument("-o", "--output", default="fixtures/comments.capture.jsonl")
    args = parser.parse_args()
    session = Session(args.seed)
    session.seed_data()
    while len(session.records) < args.count:
        session.step()
    with open(args.output, "w", encoding="utf-8", newline="\n") as f:
        for record in session.records:
            f.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    routes = {}
    for record in session.records:
        routes[record["route"]] = routes.get(record["route"], 0) + 1
    print(f"wrote {len(session.records)} exchanges to {args.output}")
    for route, n in sorted(routes.items()):
        print(f"  {n:4d}  {route}")


if __name__ == "__main__":
    main()
