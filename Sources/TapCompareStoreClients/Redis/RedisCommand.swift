import NIOCore

/// A command a store check may send: reads only, by construction.
///
/// Checks against datastores only ever read (a check runs against production's store as well as the sister one),
/// so there is no way to build a writing command here: each case is a read the checks need, and the connection
/// set-up (``hello``, ``auth``, ``select``) changes nothing in the data.
public struct RedisCommand: Sendable, Hashable {
    /// The command's name and arguments as they go on the wire.
    public let arguments: [String]

    private init(_ arguments: [String]) {
        self.arguments = arguments
    }

    /// `GET key`: a string value (a cached rendering, a JSON document stored as a string).
    public static func get(_ key: String) -> RedisCommand { RedisCommand(["GET", key]) }
    /// `TYPE key`: which read below fits the key (`string`, `hash`, `list`, `set`, `zset`, `stream`, `none`).
    public static func type(_ key: String) -> RedisCommand { RedisCommand(["TYPE", key]) }
    /// `HGETALL key`: a hash's fields and values.
    public static func hgetall(_ key: String) -> RedisCommand { RedisCommand(["HGETALL", key]) }
    /// `LRANGE key start stop`.
    public static func lrange(_ key: String, start: Int = 0, stop: Int = -1) -> RedisCommand { RedisCommand(["LRANGE", key, "\(start)", "\(stop)"]) }
    /// `SMEMBERS key`.
    public static func smembers(_ key: String) -> RedisCommand { RedisCommand(["SMEMBERS", key]) }
    /// `ZRANGE key start stop WITHSCORES`.
    public static func zrangeWithScores(_ key: String, start: Int = 0, stop: Int = -1) -> RedisCommand {
        RedisCommand(["ZRANGE", key, "\(start)", "\(stop)", "WITHSCORES"])
    }
    /// `XRANGE key start end COUNT n`: stream entries from `start` (an id, or `-`), oldest first.
    public static func xrange(_ key: String, start: String = "-", end: String = "+", count: Int) -> RedisCommand {
        RedisCommand(["XRANGE", key, start, end, "COUNT", "\(count)"])
    }
    /// `XREVRANGE key + - COUNT 1`: the newest entry, whose id marks "the stream's position now".
    public static func xlast(_ key: String) -> RedisCommand { RedisCommand(["XREVRANGE", key, "+", "-", "COUNT", "1"]) }
    /// `PING`.
    public static let ping = RedisCommand(["PING"])
    /// `AUTH [user] password`, sent by the connection when its URL carries credentials.
    static func auth(user: String?, password: String) -> RedisCommand { RedisCommand(["AUTH"] + (user.map { [$0] } ?? []) + [password]) }
    /// `SELECT db`, sent by the connection when its URL names a database other than 0.
    static func select(_ database: Int) -> RedisCommand { RedisCommand(["SELECT", "\(database)"]) }

    /// The command's name, for logs and metrics (never its arguments: a key can hold an id or a token).
    public var name: String { self.arguments.first ?? "" }

    /// The command as a RESP array of bulk strings (what every Redis server accepts).
    func encode(into buffer: inout ByteBuffer) {
        buffer.writeString("*\(self.arguments.count)\r\n")
        for argument in self.arguments {
            buffer.writeString("$\(argument.utf8.count)\r\n")
            buffer.writeString(argument)
            buffer.writeString("\r\n")
        }
    }
}

/// Writes ``RedisCommand``s to the socket.
struct RedisCommandEncoder: MessageToByteEncoder {
    typealias OutboundIn = RedisCommand

    func encode(data: RedisCommand, out: inout ByteBuffer) throws {
        data.encode(into: &out)
    }
}
