"""Opens N keep-alive connections to a proxy, sends one request on each, reads its whole response and keeps the
connection open and idle: what a proxy holds for a fleet of clients between their requests (bench/proxy.sh,
SCENARIOS=idle).

    python3 idle_connections.py HOST PORT PATH COUNT READY_FILE

Writes "COUNT connected" to READY_FILE once every connection has its response, then waits (idle) until stdin
closes or it is killed. Exits 1 if a connection fails or a response is not a 200, with the reason.
"""
import asyncio
import sys


async def one(host, port, path):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = head.split(b" ", 2)[1]
    if status != b"200":
        raise RuntimeError(f"status {status.decode()}")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length == 0:
        raise RuntimeError("no Content-Length in the response: cannot tell where it ends")
    await reader.readexactly(length)
    return reader, writer


async def main():
    host, port, path, count, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
    connections = []
    # In waves, so the proxy's accept backlog is never the limit being measured.
    for start in range(0, count, 500):
        wave = await asyncio.gather(*(one(host, port, path) for _ in range(start, min(count, start + 500))))
        connections.extend(wave)
    with open(ready, "w") as f:
        f.write(f"{len(connections)} connected\n")
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for _, writer in connections:
        writer.close()


try:
    asyncio.run(main())
except Exception as error:  # noqa: BLE001 - the reason is the output
    print(f"idle_connections: {error!r}", file=sys.stderr)
    sys.exit(1)
