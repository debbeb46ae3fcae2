import TapCompareStoreClients

/// What kind of datastore a `stores:` entry is, which decides how a check reads it.
public enum StoreKind: String, Sendable, Hashable, CaseIterable {
    /// A record read with a single `SELECT` in a read-only transaction.
    case postgres
    /// The same, from an SQLite file opened read-only.
    case sqlite
    /// A key: string (JSON-parsed when it is JSON), hash, list, set or sorted set.
    case redis
    /// A Redis Stream carrying change-data-capture events: the event each side emitted for the write.
    case redisStream = "redis_stream"
    /// A key's cached value (JSON-parsed when it is JSON).
    case memcached

    /// Whether checks on this kind read with `query:` (else `key:` or, for streams, `match:`).
    public var readsWithQuery: Bool { self == .postgres || self == .sqlite }
}

/// One entry of `stores:`: a name, a kind and where each side's copy lives.
///
/// Legacy's connection reaches production's store, the candidate's its sister store with the same schema. Checks
/// only ever read (see ``StoreCheck``), so a read-only account is enough and recommended.
public struct StoreDefinition: Sendable, Hashable {
    /// The name checks and rules use (`store: comments_db`).
    public var name: String
    public var kind: StoreKind
    /// `postgres://…`, an SQLite file path, `redis://…` or memcached's `host:port`.
    public var legacy: String
    public var candidate: String
    /// The stream's key, for `redis_stream`.
    public var stream: String?

    public init(name: String, kind: StoreKind, legacy: String, candidate: String, stream: String? = nil) {
        self.name = name
        self.kind = kind
        self.legacy = legacy
        self.candidate = candidate
        self.stream = stream
    }
}

extension StoreDefinition {
    /// Checks one side's connection string as the reader of `kind` will parse it (`postgres://…` with its
    /// `sslmode`/`sslrootcert`, `redis://…`, memcached's `host:port`; an SQLite path is opened as it is), so the
    /// configuration loader names a mistake at start-up with the key and line that hold it.
    /// - Throws: ``StoreConfigurationError`` saying what is wrong and how to write it; never the password.
    public static func checkConnection(_ text: String, kind: StoreKind) throws(StoreConfigurationError) {
        switch kind {
        case .postgres:
            _ = try PostgresStoreReader.connection(parsing: text)
        case .sqlite:
            return
        case .redis, .redisStream:
            do { _ = try RedisEndpoint(parsing: text) } catch { throw StoreConfigurationError(error.description) }
        case .memcached:
            do { _ = try MemcachedEndpoint(parsing: text) } catch { throw StoreConfigurationError(error.description) }
        }
    }
}

/// Which copy of a store, and which upstream's answer its values come from.
public enum StoreSide: String, Sendable, Hashable, CaseIterable {
    case legacy
    case candidate
}
