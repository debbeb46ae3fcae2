import Foundation
import NIOCore
import Synchronization
import TapCompareJSON
import TapCompareStoreClients

/// Reads one side's Redis: a key of any type (`redis`), or the change-data-capture event of a write on a stream
/// (`redis_stream`), with read commands only.
///
/// A key becomes: a string → its JSON when it is a JSON object or array, else the text; a hash → an object;
/// a list → an array; a set → a sorted array (sets have no order); a sorted set → `[{member, score}]` in score
/// order. A stream entry becomes an object of its fields, each JSON-parsed the same way as a string key.
final class RedisStoreReader: StoreSideReader {
    let endpoint: RedisEndpoint
    private let connection = ConnectionSlot<RedisConnection>()
    /// One tail per stream and matched path, shared by the checks that wait on it.
    private let tails = Mutex<[String: StreamTail]>([:])
    /// How often a stream is read again while waiting for an event.
    static let pollInterval: Duration = .milliseconds(50)
    /// Entries read per stream call.
    static let batch = 200

    init(url: String) throws(StoreConfigurationError) {
        do {
            self.endpoint = try RedisEndpoint(parsing: url)
        } catch {
            throw StoreConfigurationError(error.description)
        }
    }

    func close() async {
        await self.connection.take()?.close()
    }

    private func send(_ command: RedisCommand, timeout: Duration) async throws(StoreReadError) -> RESPValue {
        let endpoint = self.endpoint
        do {
            let connection = try await self.connection.get { try await RedisConnection.connect(to: endpoint, connectTimeout: timeout, callTimeout: timeout) }
            do {
                return try await connection.send(command)
            } catch {
                // A timed-out or closed connection is gone; a server error (WRONGTYPE) leaves it usable.
                if error.isUnavailable { await self.connection.take()?.close() }
                throw error
            }
        } catch let error as StoreClientError {
            throw StoreReadError(reason: error.reason, message: "\(endpoint): \(error.description)")
        } catch {
            throw StoreReadError(reason: "connect_failed", message: "\(endpoint): \(error)")
        }
    }

    func read(_ request: StoreReadRequest, timeout: Duration) async throws(StoreReadError) -> StoreReading {
        switch request {
        case .key(let key):
            return try await self.readKey(key, timeout: timeout)
        case .event(let stream, let path, let equals, let since, let within):
            return try await self.readEvent(stream: stream, path: path, equals: equals, since: since, within: within, timeout: timeout)
        case .query:
            throw StoreReadError(reason: "unsupported", message: "a redis store is read with key: or match:")
        }
    }

    func readKey(_ key: String, timeout: Duration) async throws(StoreReadError) -> StoreReading {
        guard case .simpleString(let type) = try await self.send(.type(key), timeout: timeout) else {
            throw StoreReadError(reason: "protocol_violation", message: "TYPE did not answer a type name")
        }
        switch type {
        case "none":
            return .missing
        case "string":
            guard let bytes = try await self.send(.get(key), timeout: timeout).bytes else { return .missing }
            return .found(.storeText(bytes))
        case "hash":
            let flat = try await self.send(.hgetall(key), timeout: timeout)
            return .found(.object(JSONObject(Self.pairs(flat).map { JSONObject.Member(key: $0.key, value: .storeText($0.value)) })))
        case "list":
            let items = try await self.send(.lrange(key), timeout: timeout).elements ?? []
            return .found(.array(items.compactMap(\.bytes).map(JSONValue.storeText)))
        case "set":
            let members = (try await self.send(.smembers(key), timeout: timeout).elements ?? []).compactMap(\.bytes)
            return .found(.array(members.sorted { $0.lexicographicallyPrecedes($1) }.map(JSONValue.storeText)))
        case "zset":
            let flat = try await self.send(.zrangeWithScores(key), timeout: timeout)
            return .found(.array(Self.pairs(flat).map { pair in
                let score = String(decoding: pair.value, as: UTF8.self)
                return .object(JSONObject([
                    .init(key: "member", value: .storeText(Array(pair.key.utf8))),
                    .init(key: "score", value: JSONNumber(score).map(JSONValue.number) ?? .string(score)),
                ]))
            }))
        default:
            throw StoreReadError(reason: "unsupported", message: "key type '\(type)' is not read by a redis check (use kind: redis_stream for streams)")
        }
    }

    /// The first entry at or after `since` whose `path` equals `equals`, waited for until `within` has passed: from
    /// the stream's shared ``StreamTail``, or by scanning from `since` when the write is older than the tail covers.
    func readEvent(
        stream: String, path: JSONPointer, equals: JSONValue, since: Date, within: Duration, timeout: Duration
    ) async throws(StoreReadError) -> StoreReading {
        let tail = self.tail(stream: stream, path: path)
        let deadline = ContinuousClock.now + within
        while true {
            switch await tail.lookup(equals, since: since) {
            case .found(let event): return .found(event)
            case .uncovered: return try await self.scanEvent(stream: stream, path: path, equals: equals, since: since, deadline: deadline, timeout: timeout)
            case .notYet: break
            }
            guard ContinuousClock.now < deadline else { return .missing }
            try await tail.refresh(every: Self.pollInterval) { command throws(StoreReadError) in try await self.send(command, timeout: timeout) }
        }
    }

    func tail(stream: String, path: JSONPointer) -> StreamTail {
        self.tails.withLock { tails in
            let key = stream + "\u{0}" + path.description
            if let tail = tails[key] { return tail }
            let tail = StreamTail(stream: stream, path: path)
            tails[key] = tail
            return tail
        }
    }

    /// The first entry at or after `since` whose `path` equals `equals`, scanning the stream from `since` and
    /// polling until `deadline`: for a write older than its stream's tail covers.
    func scanEvent(
        stream: String, path: JSONPointer, equals: JSONValue, since: Date, deadline: ContinuousClock.Instant, timeout: Duration
    ) async throws(StoreReadError) -> StoreReading {
        // Stream ids are `milliseconds-sequence`: the write's start time is the stream's position then.
        var start = "\(max(0, StreamTail.milliseconds(since)))-0"
        while true {
            let reply = try await self.send(.xrange(stream, start: start, count: Self.batch), timeout: timeout)
            let entries = reply.elements ?? []
            for entry in entries {
                guard let (id, event) = Self.streamEntry(entry) else { continue }
                if let value = event.value(at: path), Self.same(value, equals) { return .found(event) }
                start = "(" + id
            }
            if entries.count == Self.batch { continue }
            guard ContinuousClock.now + Self.pollInterval < deadline else { return .missing }
            try? await Task.sleep(for: Self.pollInterval)
        }
    }

    /// Whether an event's value is the write's id: equal JSON, or equal text (`"42"` in a stream field against
    /// `42` in the write's answer).
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if a == b { return true }
        func text(_ v: JSONValue) -> String? {
            switch v {
            case .string(let s): return s
            case .number(let n): return n.text
            default: return nil
            }
        }
        return text(a) != nil && text(a) == text(b)
    }

    /// One `XRANGE` entry (`[id, [field, value, …]]`) as its id and an object of its fields, each read as
    /// ``JSONValue/storeText(_:)``; `nil` for an entry of another shape.
    static func streamEntry(_ entry: RESPValue) -> (id: String, event: JSONValue)? {
        guard let parts = entry.elements, parts.count == 2, let idBytes = parts[0].bytes else { return nil }
        let event = JSONValue.object(JSONObject(Self.pairs(parts[1]).map { JSONObject.Member(key: $0.key, value: .storeText($0.value)) }))
        return (String(decoding: idBytes, as: UTF8.self), event)
    }

    /// A flat `[k1, v1, k2, v2, …]` reply (or a RESP3 map) as pairs.
    static func pairs(_ reply: RESPValue) -> [(key: String, value: [UInt8])] {
        if case .map(let map) = reply {
            return map.compactMap { pair in
                guard let k = pair.key.bytes, let v = pair.value.bytes else { return nil }
                return (String(decoding: k, as: UTF8.self), v)
            }
        }
        let flat = reply.elements ?? []
        return stride(from: 0, to: flat.count - 1, by: 2).compactMap { i in
            guard let k = flat[i].bytes, let v = flat[i + 1].bytes else { return nil }
            return (String(decoding: k, as: UTF8.self), v)
        }
    }
}

/// Reads one side's memcached: a key's cached value (JSON when it is a JSON object or array).
final class MemcachedStoreReader: StoreSideReader {
    let endpoint: MemcachedEndpoint
    private let connection = ConnectionSlot<MemcachedConnection>()

    init(address: String) throws(StoreConfigurationError) {
        do {
            self.endpoint = try MemcachedEndpoint(parsing: address)
        } catch {
            throw StoreConfigurationError(error.description)
        }
    }

    func close() async {
        await self.connection.take()?.close()
    }

    func read(_ request: StoreReadRequest, timeout: Duration) async throws(StoreReadError) -> StoreReading {
        guard case .key(let key) = request else {
            throw StoreReadError(reason: "unsupported", message: "a memcached store is read with key:")
        }
        let endpoint = self.endpoint
        do {
            let connection = try await self.connection.get { try await MemcachedConnection.connect(to: endpoint, connectTimeout: timeout, callTimeout: timeout) }
            do {
                guard let item = try await connection.get(key) else { return .missing }
                return .found(.storeText(item.value.readableBytesView))
            } catch {
                if error.isUnavailable { await self.connection.take()?.close() }
                throw error
            }
        } catch let error as StoreClientError {
            throw StoreReadError(reason: error.reason, message: "\(endpoint): \(error.description)")
        } catch {
            throw StoreReadError(reason: "connect_failed", message: "\(endpoint): \(error)")
        }
    }
}
