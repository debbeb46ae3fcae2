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

    /// A connection to the test Redis server (or `endpoint`) that waits up to the suite's ``TestTiming/eventWait`` to
    /// connect and for each reply, not the client's 2 s defaults. These tests check what the replies say. In a full
    /// run, on 2 cores with the suite's tests in parallel, an event loop can stall for over a second, and a reply can
    /// come later than 2 s. The tests of the timeouts themselves set their own.
    static func redisConnection(to endpoint: RedisEndpoint? = nil) async throws -> RedisConnection {
        try await RedisConnection.connect(
            to: try endpoint ?? Self.redis(), connectTimeout: TestTiming.eventWait, callTimeout: TestTiming.eventWait
        )
    }

    /// The same for the test memcached server.
    static func memcachedConnection() async throws -> MemcachedConnection {
        try await MemcachedConnection.connect(
            to: try Self.memcached(), connectTimeout: TestTiming.eventWait, callTimeout: TestTiming.eventWait
        )
    }
}
