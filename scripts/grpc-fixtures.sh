#!/usr/bin/env bash
# Regenerates fixtures/grpc/comments.pb, the descriptor set the gRPC tests read, from fixtures/grpc/comments.proto.
# Needs protoc (Debian: apt-get install -y protobuf-compiler). The .pb is committed so tests need no protoc.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v protoc >/dev/null || { echo "protoc not found; install it (apt-get install -y protobuf-compiler)" >&2; exit 1; }
protoc --proto_path=fixtures/grpc --include_imports --descriptor_set_out=fixtures/grpc/comments.pb fixtures/grpc/comments.proto
echo "wrote fixtures/grpc/comments.pb ($(wc -c < fixtures/grpc/comments.pb) bytes)"
