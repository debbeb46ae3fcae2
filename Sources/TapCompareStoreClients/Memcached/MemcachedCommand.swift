import NIOCore

/// A memcached text-protocol command a store check may send: retrievals only, by construction (see
/// ``RedisCommand`` for why a check never writes).
public struct MemcachedCommand: Sendable, Hashable {
    let line: String
    /// The command's name, for logs and metrics (never its keys).
    public let name: String

    private init(name: String, line: String) {
        self.name = name
        self.line = line
    }

    /// `get key…`: the values of the keys that exist.
    /// - Throws: ``StoreClientError/invalidRequest(_:)`` for a key memcached cannot hold (empty, over 250 bytes,
    ///   with a space or control character).
    public static func get(_ keys: String...) throws(StoreClientError) -> MemcachedCommand {
        try Self.retrieval("get", keys)
    }

    /// `gets key…`: the values with their CAS unique (a version that changes on every write: a race detector).
    public static func gets(_ keys: String...) throws(StoreClientError) -> MemcachedCommand {
        try Self.retrieval("gets", keys)
    }

    /// `version`.
    public static let version = MemcachedCommand(name: "version", line: "version")

    private static func retrieval(_ name: String, _ keys: [String]) throws(StoreClientError) -> MemcachedCommand {
        guard !keys.isEmpty else { throw .invalidRequest("\(name) needs at least one key") }
        for key in keys {
            guard !key.isEmpty, key.utf8.count <= 250 else {
                throw .invalidRequest("memcached key of \(key.utf8.count) bytes: keys are 1…250 bytes")
            }
            guard key.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
                throw .invalidRequest("memcached key '\(key.prefix(40))' has a space or control character, which the text protocol cannot carry")
            }
        }
        return MemcachedCommand(name: name, line: ([name] + keys).joined(separator: " "))
    }
}

/// Writes ``MemcachedCommand``s to the socket.
struct MemcachedCommandEncoder: MessageToByteEncoder {
    typealias OutboundIn = MemcachedCommand

    func encode(data: MemcachedCommand, out: inout ByteBuffer) throws {
        out.writeString(data.line)
        out.writeString("\r\n")
    }
}
