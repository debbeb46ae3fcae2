"""Writes the gRPC bodies bench/grpc.sh serves and sends, for the comment API of fixtures/grpc/comments.proto:
the request bodies of GetComment and ListComments, and the answers legacy and the candidate give (one Comment for
GetComment; a stream of 20 for ListComments), each as gRPC length-prefixed messages (flag 0, 4-byte length).

    python3 grpc_bodies.py DIR

The messages are encoded here by hand (varints, length-delimited fields) so the bench needs no protobuf package,
from a fixed seed so every run sends the same bytes.
"""
import random
import struct
import sys


def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def key(number, wire_type):
    return varint(number << 3 | wire_type)


def field_varint(number, value):
    return key(number, 0) + varint(value)


def field_bytes(number, value):
    if isinstance(value, str):
        value = value.encode()
    return key(number, 2) + varint(len(value)) + value


def field_double(number, value):
    return key(number, 1) + struct.pack("<d", value)


def zigzag(n):
    return (n << 1) ^ (n >> 63)


def comment(rng, index):
    """One Comment: the fields a comment API answers (tapcompare.demo.Comment)."""
    words = ["migration", "latency", "replica", "rollback", "schema", "cache", "shadow", "traffic", "diff", "ledger"]
    body = " ".join(rng.choice(words) for _ in range(rng.randint(12, 30)))
    author = field_bytes(1, "user%04d" % rng.randint(0, 9999)) + field_varint(2, rng.randint(0, 100000))
    out = field_varint(1, 88120000 + index)
    out += field_bytes(2, body)
    out += field_varint(3, 1)  # VISIBLE
    for tag in rng.sample(["go", "python", "review", "perf", "bug"], 2):
        out += field_bytes(4, tag)
    out += field_bytes(5, author)
    for k, v in (("lang", "en"), ("source", "web")):
        out += field_bytes(6, field_bytes(1, k) + field_bytes(2, v))
    out += field_varint(7, 88110000 + index)  # parent_id (oneof reference)
    out += field_double(9, rng.random() * 100)
    out += field_bytes(11, b"".join(varint(rng.randint(0, 50)) for _ in range(3)))  # packed votes
    out += field_varint(12, zigzag(rng.randint(-500, 500)))
    created = field_varint(1, 1733390000 + index) + field_varint(2, rng.randint(0, 999999999))
    out += field_bytes(14, created)
    return out


def frame(message):
    return b"\x00" + struct.pack(">I", len(message)) + message


def main(directory):
    rng = random.Random(18)
    with open(f"{directory}/get-request.bin", "wb") as f:
        f.write(frame(field_varint(1, 88120007)))
    with open(f"{directory}/list-request.bin", "wb") as f:
        f.write(frame(field_bytes(1, "post-4411") + field_varint(2, 20)))
    with open(f"{directory}/get-response.bin", "wb") as f:
        f.write(frame(comment(rng, 7)))
    with open(f"{directory}/list-response.bin", "wb") as f:
        f.write(b"".join(frame(comment(rng, i)) for i in range(20)))


if __name__ == "__main__":
    main(sys.argv[1])
