import Foundation
import TapCompareStoreClients
import TapCompareTestSupport

/// The Redis and memcached servers `scripts/test.sh` starts (`scripts/kv-servers.sh`). Without them the suites are
/// skipped visibly in a local run; with `CI` set they run anyway and fail, so CI can never pass by skipping.
enum StoreServers {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }
    static var isCI: Bool { !(environment["CI"] ?? "").isEmpty }
    static var redisEnabled: Bool { environment["TAPCOMPARE_TEST_REDIS_URL"] != nil || isCI }
    static var memcachedEnabled: Bool { environment["TAPCOMPARE_TEST_MEMCACHED"] != nil || isCI }

    static func redis() throws -> RedisEndpoint {
        guard let text = environment["TAPCOMPARE_TEST_REDIS_URL"], !text.isEmpty else {
            throw TestSetupError("TAPCOMPARE_TEST_REDIS_URL is not set: start the servers with scripts/kv-servers.sh start DIR")
        }
        return try RedisEndpoint(parsing: text)
    }

    static func memcached() throws -> MemcachedEndpoint {
        guard let text = environment["TAPCOMPARE_TEST_MEMCACHED"], !text.isEmpty else {
            throw TestSetupError("TAPCOMPARE_TEST_MEMCACHED is not set: start the servers with scripts/kv-servers.sh start DIR")
        }
        return try MemcachedEndpoint(parsing: text)
    }

    /// Sends raw protocol text (writes the clients under test cannot make) and waits for the server to close the
    /// connection after the trailing `QUIT`/`quit`, so every command has been applied when this returns.
    static func seed(host: String, port: Int, _ text: String) async throws -> String {
        let connection = try await RawTCP.connect(port: port, host: host)
        try await connection.send(text)
        let reply = await connection.waitForClose(timeout: .seconds(10))
        guard connection.isClosed else { throw TestSetupError("the server did not close after QUIT; it answered \(String(decoding: reply, as: UTF8.self))") }
        return String(decoding: reply, as: UTF8.self)
    }

    /// RESP for one command, for seeding.
    static func resp(_ arguments: String...) -> String {
        "*\(arguments.count)\r\n" + arguments.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
    }
}
