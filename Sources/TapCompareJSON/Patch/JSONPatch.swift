/// An RFC 6902 JSON Patch: a sequence of operations applied in order.
///
/// The comparison's discrepancy list, read as a patch, turns the legacy body into the candidate body; tests
/// apply it with ``apply(to:)`` to prove the list is complete.
public struct JSONPatch: Sendable, Hashable {
    public enum Operation: Sendable, Hashable {
        case add(path: JSONPointer, value: JSONValue)
        case remove(path: JSONPointer)
        case replace(path: JSONPointer, value: JSONValue)
        case move(from: JSONPointer, path: JSONPointer)
        case copy(from: JSONPointer, path: JSONPointer)
        case test(path: JSONPointer, value: JSONValue)
    }

    public var operations: [Operation]

    public init(_ operations: [Operation]) { self.operations = operations }

    /// Reads a patch document (a JSON array of operation objects).
    /// - Throws: ``JSONPatchError`` for anything that is not a valid patch.
    public init(_ document: JSONValue) throws(JSONPatchError) {
        guard case .array(let items) = document else { throw JSONPatchError("a JSON Patch must be an array of operations") }
        var operations: [Operation] = []
        for (n, item) in items.enumerated() {
            guard case .object(let object) = item, case .string(let op)? = object["op"] else {
                throw JSONPatchError("operation \(n): expected an object with a string 'op'")
            }
            func pointer(_ name: String) throws(JSONPatchError) -> JSONPointer {
                guard case .string(let text)? = object[name] else { throw JSONPatchError("operation \(n): '\(name)' must be a string") }
                do { return try JSONPointer(parsing: text) } catch { throw JSONPatchError("operation \(n): \(error)") }
            }
            func value() throws(JSONPatchError) -> JSONValue {
                guard let v = object["value"] else { throw JSONPatchError("operation \(n): 'value' is required for '\(op)'") }
                return v
            }
            switch op {
            case "add": operations.append(.add(path: try pointer("path"), value: try value()))
            case "remove": operations.append(.remove(path: try pointer("path")))
            case "replace": operations.append(.replace(path: try pointer("path"), value: try value()))
            case "move": operations.append(.move(from: try pointer("from"), path: try pointer("path")))
            case "copy": operations.append(.copy(from: try pointer("from"), path: try pointer("path")))
            case "test": operations.append(.test(path: try pointer("path"), value: try value()))
            default: throw JSONPatchError("operation \(n): unknown op '\(op)'")
            }
        }
        self.operations = operations
    }

    /// The patch as a JSON document.
    public var jsonValue: JSONValue {
        .array(self.operations.map { op -> JSONValue in
            var members: [JSONObject.Member] = []
            func add(_ k: String, _ v: JSONValue) { members.append(.init(key: k, value: v)) }
            switch op {
            case .add(let p, let v): add("op", "add"); add("path", .string(p.description)); add("value", v)
            case .remove(let p): add("op", "remove"); add("path", .string(p.description))
            case .replace(let p, let v): add("op", "replace"); add("path", .string(p.description)); add("value", v)
            case .move(let f, let p): add("op", "move"); add("from", .string(f.description)); add("path", .string(p.description))
            case .copy(let f, let p): add("op", "copy"); add("from", .string(f.description)); add("path", .string(p.description))
            case .test(let p, let v): add("op", "test"); add("path", .string(p.description)); add("value", v)
            }
            return .object(JSONObject(members))
        })
    }

    /// Applies every operation in order.
    /// - Throws: ``JSONPatchError`` when an operation's path does not resolve or a `test` fails.
    public func apply(to document: JSONValue) throws(JSONPatchError) -> JSONValue {
        var doc = document
        for (n, op) in self.operations.enumerated() {
            do throws(JSONPatchError) {
                switch op {
                case .add(let path, let value): try Self.add(&doc, path.tokens[...], value)
                case .remove(let path): _ = try Self.remove(&doc, path.tokens[...])
                case .replace(let path, let value):
                    _ = try Self.remove(&doc, path.tokens[...])
                    try Self.add(&doc, path.tokens[...], value)
                case .move(let from, let path):
                    let value = try Self.remove(&doc, from.tokens[...])
                    try Self.add(&doc, path.tokens[...], value)
                case .copy(let from, let path):
                    guard let value = doc.value(at: from) else { throw JSONPatchError("'\(from)' does not exist") }
                    try Self.add(&doc, path.tokens[...], value)
                case .test(let path, let value):
                    guard doc.value(at: path) == value else { throw JSONPatchError("test failed at '\(path)'") }
                }
            } catch {
                throw JSONPatchError("operation \(n): \(error.reason)")
            }
        }
        return doc
    }

    private static func add(_ doc: inout JSONValue, _ tokens: ArraySlice<String>, _ value: JSONValue) throws(JSONPatchError) {
        guard let token = tokens.first else {
            doc = value
            return
        }
        let last = tokens.count == 1
        switch doc {
        case .object(var object):
            doc = .null
            defer { doc = .object(object) }
            if last {
                object[token] = value
            } else {
                guard let i = object.lastIndex(of: token) else { throw JSONPatchError("'\(token)' does not exist") }
                try Self.add(&object.members[i].value, tokens.dropFirst(), value)
            }
        case .array(var array):
            doc = .null
            defer { doc = .array(array) }
            if last {
                if token == "-" {
                    array.append(value)
                } else {
                    guard let i = JSONPointer.arrayIndex(token), i <= array.count else { throw JSONPatchError("index '\(token)' out of range") }
                    array.insert(value, at: i)
                }
            } else {
                guard let i = JSONPointer.arrayIndex(token), i < array.count else { throw JSONPatchError("index '\(token)' out of range") }
                try Self.add(&array[i], tokens.dropFirst(), value)
            }
        default:
            throw JSONPatchError("cannot descend into a \(doc.kind.rawValue) at '\(token)'")
        }
    }

    private static func remove(_ doc: inout JSONValue, _ tokens: ArraySlice<String>) throws(JSONPatchError) -> JSONValue {
        guard let token = tokens.first else {
            let old = doc
            doc = .null
            return old
        }
        let last = tokens.count == 1
        switch doc {
        case .object(var object):
            doc = .null
            defer { doc = .object(object) }
            guard let i = object.lastIndex(of: token) else { throw JSONPatchError("'\(token)' does not exist") }
            if last {
                let old = object.members[i].value
                object[token] = nil
                return old
            }
            return try Self.remove(&object.members[i].value, tokens.dropFirst())
        case .array(var array):
            doc = .null
            defer { doc = .array(array) }
            guard let i = JSONPointer.arrayIndex(token), i < array.count else { throw JSONPatchError("index '\(token)' out of range") }
            if last { return array.remove(at: i) }
            return try Self.remove(&array[i], tokens.dropFirst())
        default:
            throw JSONPatchError("cannot descend into a \(doc.kind.rawValue) at '\(token)'")
        }
    }
}

/// A patch that is malformed or does not apply.
public struct JSONPatchError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "JSON Patch: \(self.reason)" }
}
