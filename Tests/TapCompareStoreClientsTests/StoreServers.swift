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
}
