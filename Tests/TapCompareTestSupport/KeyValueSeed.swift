import Foundation

/// Writes to the Redis and memcached test servers with raw protocol text: what a service under test (or a test's
/// setup) writes, which the read-only store clients cannot.
public enum KeyValueSeed {
    /// The Redis server `scripts/test.sh` started (`TAPCOMPARE_TEST_REDIS_URL`, `redis://127.0.0.1:PORT/0`).
    public static func redisPort() throws -> Int {
        try Self.port(of: "TAPCOMPARE_TEST_REDIS_URL")
    }

    /// The memcached server `scripts/test.sh` started (`TAPCOMPARE_TEST_MEMCACHED`, `127.0.0.1:PORT`).
    public static func memcachedPort() throws -> Int {
        try Self.port(of: "TAPCOMPARE_TEST_MEMCACHED")
    }

    private static func port(of variable: String) throws -> Int {
        guard let text = ProcessInfo.processInfo.environment[variable], !text.isEmpty else {
            throw TestSetupError("\(variable) is not set: start the servers with scripts/kv-servers.sh start DIR (scripts/test.sh does)")
        }
        let hostPort = text.replacingOccurrences(of: "redis://", with: "").split(separator: "/").first ?? ""
        guard let port = hostPort.split(separator: ":").last.flatMap({ Int($0) }) else { throw TestSetupError("\(variable)='\(text)' has no port") }
        return port
    }

    /// RESP for one command.
    public static func resp(_ arguments: String...) -> String { Self.resp(arguments) }

    public static func resp(_ arguments: [String]) -> String {
        "*\(arguments.count)\r\n" + arguments.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
    }

    /// Sends `text` followed by the protocol's quit command and waits until the server closed the connection, so
    /// every command has been applied when this returns; returns what the server answered.
    @discardableResult
    public static func send(port: Int, _ text: String, quit: String) async throws -> String {
        let connection = try await RawTCP.connect(port: port)
        try await connection.send(text + quit)
        let reply = await connection.waitForClose(timeout: .seconds(10))
        guard connection.isClosed else { throw TestSetupError("the server did not close after quitting; it answered \(String(decoding: reply, as: UTF8.self))") }
        return String(decoding: reply, as: UTF8.self)
    }

    /// Redis commands (each an argument list) on database `database`.
    @discardableResult
    public static func redis(_ commands: [[String]], database: Int = 0) async throws -> String {
        let select = database == 0 ? "" : Self.resp("SELECT", "\(database)")
        return try await Self.send(port: try Self.redisPort(), select + commands.map { Self.resp($0) }.joined(), quit: Self.resp("QUIT"))
    }

    /// memcached `set`s, on the suite's server or the one on `port`.
    public static func memcached(set items: [(key: String, value: String)], port: Int? = nil) async throws {
        let text = items.map { "set \($0.key) 0 0 \($0.value.utf8.count)\r\n\($0.value)\r\n" }.joined()
        let reply = try await Self.send(port: try port ?? Self.memcachedPort(), text, quit: "quit\r\n")
        guard reply == String(repeating: "STORED\r\n", count: items.count) else { throw TestSetupError("memcached set answered \(reply)") }
    }
}
