import TapCompareCore
import TapCompareJSON
import TapCompareStoreChecks
import Yams

extension ConfigurationLoader {
    /// `stores:` and the store checks' bounds. Read before `routes:`, whose `verify.stores:` name these stores.
    static func readStores(_ r: YAMLMappingReader, into c: inout ServeConfiguration) {
        if let v = r.int("stores_max_in_flight", min: 1, max: 10_000) { c.storeChecks.maxInFlight = v }
        if let v = r.int("stores_queue_capacity", min: 1, max: 10_000_000) { c.storeChecks.queueCapacity = v }
        if let v = r.duration("stores_timeout") { c.storeChecks.timeout = v }
        if let v = r.duration("stores_recheck_delay") { c.storeChecks.recheckDelay = v }
        if let v = r.rate("stores_sample_rate") { c.storeChecks.sampleRate = v }
        if let node = r.node("stores_max_per_second") {
            if node.string == "unlimited" {
                c.storeChecks.maxPerSecond = nil
            } else if let v = node.int, (1...1_000_000).contains(v) {
                c.storeChecks.maxPerSecond = Double(v)
            } else {
                r.fail("stores_max_per_second", node, "'\(node.scalar?.string ?? "a collection")' is not a rate; write store checks per second (1…1000000), or unlimited")
            }
        }
        guard let node = r.node("stores") else { return }
        guard let mapping = node.mapping else {
            r.fail("stores", node, "stores: is a mapping of names to stores, e.g. comments_db: { kind: postgres, legacy: postgres://…, candidate: postgres://… }")
            return
        }
        let kinds = StoreKind.allCases.map(\.rawValue).joined(separator: ", ")
        for (key, value) in mapping {
            guard let name = key.string, !name.isEmpty else { continue }
            let s = YAMLMappingReader(file: r.file, prefix: "stores.\(name)", node: value, collector: r.sharedCollector)
            defer { s.rejectUnknownKeys() }
            let legacy = s.string("legacy")
            let candidate = s.string("candidate")
            let stream = s.string("stream")
            guard let kindText = s.string("kind") else {
                s.fail("kind", value, "each store needs 'kind:' (\(kinds))")
                continue
            }
            guard let kind = StoreKind(rawValue: kindText) else {
                s.fail("kind", s.node("kind"), "'\(kindText)' is not a store kind; write one of \(kinds)")
                continue
            }
            guard let legacy, let candidate else {
                s.fail("legacy", value, "each store needs 'legacy:' and 'candidate:' (production's store and the candidate's sister store)")
                continue
            }
            if kind == .redisStream && stream == nil {
                s.fail("stream", value, "a redis_stream store needs 'stream:' (the stream's key, e.g. comment-events)")
                continue
            }
            if kind != .redisStream && stream != nil {
                s.fail("stream", s.node("stream"), "'stream:' is only for kind: redis_stream")
            }
            // Read now as the store's reader will read them, so a mistake names its line and key, not just `stores`.
            for (key, connection) in [("legacy", legacy), ("candidate", candidate)] {
                do throws(StoreConfigurationError) {
                    try StoreDefinition.checkConnection(connection, kind: kind)
                } catch {
                    s.fail(key, s.node(key), error.description)
                }
            }
            c.storeChecks.stores[name] = StoreDefinition(name: name, kind: kind, legacy: legacy, candidate: candidate, stream: stream)
        }
    }

    /// `verify.stores:` of a write route: each entry names a declared store and how to find the record in it.
    static func readStoreChecks(_ vr: YAMLMappingReader, stores: [String: StoreDefinition]) -> [StoreCheck] {
        guard let nodes = vr.sequence("stores") else { return [] }
        var checks: [StoreCheck] = []
        for (index, node) in nodes.enumerated() {
            let s = YAMLMappingReader(file: vr.file, prefix: vr.dotted("stores[\(index)]"), node: node, collector: vr.sharedCollector)
            defer { s.rejectUnknownKeys() }
            let name = s.string("store")
            let sql = s.string("query")
            let paramTexts = s.strings("params")
            let keyText = s.string("key")
            let match = s.mapping("match")
            let within = s.duration("within")
            guard let name else {
                s.fail("store", node, "each check needs 'store:', a name declared under stores:")
                continue
            }
            guard let definition = stores[name] else {
                let known = stores.keys.sorted().joined(separator: ", ")
                let hint = Spelling.closest(to: name, in: stores.keys.sorted()).map { "did you mean '\($0)'? " } ?? ""
                s.fail("store", s.node("store"), "'\(name)' is not declared under stores: \(hint)(declared: \(known.isEmpty ? "none" : known))")
                continue
            }
            var version: JSONPointer?
            if let text = s.string("version") {
                let pathText = text.hasPrefix("$") ? text : "$." + text
                if let path = try? JSONPath(parsing: pathText), let pointer = path.singleValuePointer {
                    version = pointer
                } else {
                    s.fail("version", s.node("version"), "'\(text)' is not a column or field name (updated_at, xmin) or a single-value JSONPath such as $.meta.version")
                }
            }
            var versionFrom: ValueSource?
            if let text = s.string("version_from") {
                do throws(StoreConfigurationError) { versionFrom = try ValueSource(parsing: text) } catch { s.fail("version_from", s.node("version_from"), error.description) }
                if version == nil { s.fail("version_from", s.node("version_from"), "version_from needs version: (the same version in what the store holds)") }
            }
            let consumerCheck = s.strings("consumer_check")
            if let consumerCheck {
                if consumerCheck.isEmpty {
                    s.fail("consumer_check", s.node("consumer_check"), "consumer_check is a command and its arguments, e.g. [python3, consumers/check_event.py]")
                } else if definition.kind != .redisStream {
                    s.fail("consumer_check", s.node("consumer_check"), "consumer_check is for redis_stream stores (it judges change-data-capture events)")
                }
            }
            var schema: EventSchema?
            if let file = s.string("schema") {
                if definition.kind != .redisStream {
                    s.fail("schema", s.node("schema"), "schema is for redis_stream stores (the JSON Schema of legacy's events)")
                } else {
                    do throws(StoreConfigurationError) { schema = try EventSchema(file: file) } catch { s.fail("schema", s.node("schema"), error.description) }
                }
            }
            let checkCount = checks.count
            defer {
                if checks.count > checkCount {
                    checks[checks.count - 1].version = version
                    checks[checks.count - 1].versionFrom = versionFrom
                    checks[checks.count - 1].consumerCheck = consumerCheck?.isEmpty == false ? consumerCheck : nil
                    checks[checks.count - 1].schema = schema
                }
            }
            switch definition.kind {
            case .postgres, .sqlite:
                Self.refuse(s, ["key": keyText != nil, "match": match != nil, "within": within != nil], kind: definition.kind)
                guard let sql else {
                    s.fail("query", node, "a \(definition.kind.rawValue) check needs 'query:', one SELECT such as \"SELECT * FROM comments WHERE id = \(definition.kind == .postgres ? "$1" : "?")\"")
                    continue
                }
                let statement: SelectStatement
                do throws(StoreConfigurationError) {
                    statement = try SelectStatement(validating: sql, dialect: definition.kind == .sqlite ? .sqlite : .postgres)
                } catch {
                    s.fail("query", s.node("query"), error.description)
                    continue
                }
                let params: [ValueSource]
                do throws(StoreConfigurationError) {
                    params = try (paramTexts ?? []).map { text throws(StoreConfigurationError) in try ValueSource(parsing: text) }
                } catch {
                    s.fail("params", s.node("params"), error.description)
                    continue
                }
                checks.append(StoreCheck(store: name, read: .query(statement, params: params)))
            case .redis, .memcached:
                Self.refuse(s, ["query": sql != nil, "params": paramTexts != nil, "match": match != nil, "within": within != nil], kind: definition.kind)
                guard let key = keyText else {
                    s.fail("key", node, "a \(definition.kind.rawValue) check needs 'key:', e.g. \"comment:{$.id}\"")
                    continue
                }
                do throws(StoreConfigurationError) {
                    checks.append(StoreCheck(store: name, read: .key(try KeyTemplate(parsing: key))))
                } catch {
                    s.fail("key", s.node("key"), error.description)
                }
            case .redisStream:
                Self.refuse(s, ["query": sql != nil, "params": paramTexts != nil, "key": keyText != nil], kind: definition.kind)
                guard let match, let pathText = match.string("path"), let equals = match.string("equals") else {
                    s.fail("match", node, "a redis_stream check needs 'match: { path: $.comment_id, equals: $.id }' (the event's field and the write's value)")
                    continue
                }
                match.rejectUnknownKeys()
                guard let path = try? JSONPath(parsing: pathText), let pointer = path.singleValuePointer else {
                    s.fail("match", match.node("path"), "'\(pathText)' is not a single-value JSONPath into the event, such as $.comment_id")
                    continue
                }
                do throws(StoreConfigurationError) {
                    checks.append(StoreCheck(store: name, read: .event(path: pointer, equals: try ValueSource(parsing: equals), within: within ?? .seconds(2))))
                } catch {
                    match.fail("equals", match.node("equals"), error.description)
                }
            }
        }
        return checks
    }

    /// Keys given that the store's kind does not read by.
    private static func refuse(_ s: YAMLMappingReader, _ given: [String: Bool], kind: StoreKind) {
        for (key, present) in given.sorted(by: { $0.key < $1.key }) where present {
            let owner: String
            switch key {
            case "query", "params": owner = "postgres and sqlite stores (a SELECT)"
            case "key": owner = "redis and memcached stores"
            default: owner = "redis_stream stores (an event)"
            }
            s.fail(key, s.node(key), "'\(key)' is for \(owner), and this store is kind \(kind.rawValue)")
        }
    }
}
