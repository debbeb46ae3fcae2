"""A comment service for bench/stores.sh that really writes where the real ones do.

    python comment_service.py --role legacy|candidate --port PORT --postgres URL --redis HOST:PORT/DB \
        --memcached HOST:PORT [--first-id N]

POST /api/v1/comments with {"post_id": N, "body": "..."} creates a comment and, before answering 201 with it:
  - inserts its row into PostgreSQL (`comments`, created here if missing; ids from `--first-id` on, so legacy's
    production store and the candidate's sister store hand out different ids, as real ones do);
  - writes its hash `comment:{id}` to Redis and appends its change-data-capture event to the stream
    `comment-events` (one pipelined round trip; the stream is capped near 100,000 entries);
  - caches its rendering under `comment:{id}` in memcached (JSON).
Everything else answers 404. HTTP/1.1 keep-alive over asyncio streams (uvloop when installed), Redis's RESP and
memcached's text protocol over raw sockets: one Redis and one memcached connection per client connection, and an
asyncpg pool. Only loopback addresses are used by the bench.
"""
import argparse
import asyncio
import json
import sys

import asyncpg

try:
    import uvloop
except ImportError:  # the bench installs it; plain asyncio works too, slower
    uvloop = None

STREAM = b"comment-events"
STREAM_MAXLEN = b"100000"


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


async def read_resp(reader):
    line = await reader.readline()
    if not line:
        raise ConnectionError("redis closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind in (b"+", b":"):
        return rest
    if kind == b"-":
        raise RuntimeError("redis: " + rest.decode())
    if kind == b"$":
        n = int(rest)
        return None if n < 0 else (await reader.readexactly(n + 2))[:-2]
    if kind == b"*":
        n = int(rest)
        return [await read_resp(reader) for _ in range(max(n, 0))]
    raise RuntimeError("redis: unexpected reply %r" % line)


class Connections:
    """One client connection's own Redis and memcached connections, opened on first use."""

    def __init__(self, args):
        self.args = args
        self.redis = None
        self.memcached = None

    async def open(self):
        if self.redis is None:
            host, rest = self.args.redis.rsplit(":", 1)
            port, db = rest.split("/")
            self.redis = await asyncio.open_connection(host, int(port))
            self.redis[1].write(resp("SELECT", db))
            await read_resp(self.redis[0])
        if self.memcached is None:
            host, port = self.args.memcached.rsplit(":", 1)
            self.memcached = await asyncio.open_connection(host, int(port))

    def close(self):
        for pair in (self.redis, self.memcached):
            if pair is not None:
                pair[1].close()


async def create(args, pool, conns, request):
    post_id = int(request["post_id"])
    body = str(request["body"])
    async with pool.acquire() as db:
        row = await db.fetchrow(
            "INSERT INTO comments (post_id, author_id, body, score) VALUES ($1, $2, $3, 0) RETURNING id, created_at",
            post_id, 17, body)
    comment = {"id": row["id"], "post_id": post_id, "author_id": 17, "body": body, "score": 0,
               "created_at": row["created_at"].isoformat()}
    await conns.open()
    key = b"comment:%d" % comment["id"]
    event = json.dumps({"comment_id": comment["id"], "post_id": post_id, "score": 0, "author": "ann"},
                       separators=(",", ":")).encode()
    r, w = conns.redis
    w.write(resp("HSET", key, "post_id", post_id, "body", body, "score", 0)
            + resp("XADD", STREAM, "MAXLEN", "~", STREAM_MAXLEN, "*", "data", event))
    await read_resp(r)
    await read_resp(r)
    cached = json.dumps({"post_id": post_id, "body": body, "score": 0}, separators=(",", ":")).encode()
    mr, mw = conns.memcached
    mw.write(b"set %s 0 3600 %d\r\n%s\r\n" % (key, len(cached), cached))
    line = await mr.readline()
    if line != b"STORED\r\n":
        raise RuntimeError("memcached: %r" % line)
    return comment


def answer(status, reason, payload):
    data = json.dumps(payload, separators=(",", ":")).encode()
    return (b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
            % (status, reason, len(data))) + data


async def serve_client(args, pool, reader, writer):
    conns = Connections(args)
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target = lines[0].split(" ")[:2]
            length = 0
            close = False
            for h in lines[1:]:
                name, _, value = h.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "connection" and value.strip().lower() == "close":
                    close = True
            body = await reader.readexactly(length) if length else b""
            if method == "POST" and target == "/api/v1/comments":
                try:
                    out = answer(201, b"Created", await create(args, pool, conns, json.loads(body)))
                except (ValueError, KeyError, TypeError) as e:
                    out = answer(400, b"Bad Request", {"error": str(e)})
                except Exception as e:  # a store failed: the write failed
                    conns.close()
                    conns = Connections(args)
                    out = answer(500, b"Internal Server Error", {"error": str(e)})
            else:
                out = answer(404, b"Not Found", {"error": "not_found"})
            writer.write(out)
            await writer.drain()
            if close:
                break
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        conns.close()
        writer.close()


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--role", required=True, choices=["legacy", "candidate"])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--postgres", required=True)
    p.add_argument("--redis", required=True, help="HOST:PORT/DB")
    p.add_argument("--memcached", required=True, help="HOST:PORT")
    p.add_argument("--first-id", type=int, default=1)
    p.add_argument("--pool", type=int, default=8)
    args = p.parse_args()
    pool = await asyncpg.create_pool(args.postgres, min_size=args.pool, max_size=args.pool)
    async with pool.acquire() as db:
        await db.execute(
            "CREATE TABLE IF NOT EXISTS comments (id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH %d) PRIMARY KEY, "
            "post_id bigint NOT NULL, author_id bigint NOT NULL, body text NOT NULL, score integer NOT NULL, "
            "created_at timestamptz NOT NULL DEFAULT now())" % args.first_id)
    server = await asyncio.start_server(lambda r, w: serve_client(args, pool, r, w), "127.0.0.1", args.port,
                                        backlog=1024)
    print("%s listening on 127.0.0.1:%d" % (args.role, args.port), file=sys.stderr, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if uvloop is not None:
        uvloop.install()
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
