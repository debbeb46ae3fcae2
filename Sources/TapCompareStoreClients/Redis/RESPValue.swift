import NIOCore

/// One value of the Redis serialization protocol, RESP2 and RESP3 (<https://redis.io/docs/latest/develop/reference/protocol-spec/>).
///
/// Strings stay bytes (`ByteBuffer`): Redis values are binary-safe, and whether a cached string is JSON, UTF-8 text
/// or neither is for the caller to decide, not the wire decoder.
public enum RESPValue: Sendable, Hashable {
    /// `+OK` (RESP2 and 3).
    case simpleString(String)
    /// `-ERR …` (RESP2 and 3); also `!` blob errors (RESP3).
    case error(String)
    /// `:42`.
    case integer(Int64)
    /// `$5\r\nhello`; `$-1` (RESP2's null bulk string) is ``null``.
    case bulkString(ByteBuffer)
    /// `*2…`; `*-1` (RESP2's null array) is ``null``.
    case array([RESPValue])
    /// `_` (RESP3), `$-1` and `*-1` (RESP2).
    case null
    /// `#t` / `#f` (RESP3).
    case boolean(Bool)
    /// `,3.14` (RESP3), kept as the server's text so no precision is lost on the way to a JSON value.
    case double(String)
    /// `(3492890328409238509324850943850943825024385` (RESP3), as text.
    case bigNumber(String)
    /// `=15\r\ntxt:Some string` (RESP3): the format and the text.
    case verbatimString(format: String, text: ByteBuffer)
    /// `%2…` (RESP3): key-value pairs in the server's order.
    case map([(key: RESPValue, value: RESPValue)])
    /// `~3…` (RESP3).
    case set([RESPValue])
    /// `>3…` (RESP3) out-of-band data; a read-only client never subscribes, so seeing one is a protocol error.
    case push([RESPValue])

    public static func == (lhs: RESPValue, rhs: RESPValue) -> Bool {
        switch (lhs, rhs) {
        case (.simpleString(let a), .simpleString(let b)), (.error(let a), .error(let b)),
             (.double(let a), .double(let b)), (.bigNumber(let a), .bigNumber(let b)):
            return a == b
        case (.integer(let a), .integer(let b)): return a == b
        case (.bulkString(let a), .bulkString(let b)): return a == b
        case (.array(let a), .array(let b)), (.set(let a), .set(let b)), (.push(let a), .push(let b)): return a == b
        case (.null, .null): return true
        case (.boolean(let a), .boolean(let b)): return a == b
        case (.verbatimString(let f1, let t1), .verbatimString(let f2, let t2)): return f1 == f2 && t1 == t2
        case (.map(let a), .map(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .simpleString(let s), .error(let s), .double(let s), .bigNumber(let s): hasher.combine(s)
        case .integer(let i): hasher.combine(i)
        case .bulkString(let b): hasher.combine(b)
        case .array(let a), .set(let a), .push(let a): hasher.combine(a)
        case .null: hasher.combine(0)
        case .boolean(let b): hasher.combine(b)
        case .verbatimString(let f, let t): hasher.combine(f); hasher.combine(t)
        case .map(let pairs):
            hasher.combine(pairs.count)
            for pair in pairs { hasher.combine(pair.key); hasher.combine(pair.value) }
        }
    }

    /// The bytes of a bulk, simple or verbatim string; `nil` for other values.
    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let buffer), .verbatimString(_, let buffer): return Array(buffer.readableBytesView)
        case .simpleString(let text): return Array(text.utf8)
        default: return nil
        }
    }

    /// The elements of an array or set; `nil` for other values.
    public var elements: [RESPValue]? {
        switch self {
        case .array(let values), .set(let values): return values
        default: return nil
        }
    }
}
