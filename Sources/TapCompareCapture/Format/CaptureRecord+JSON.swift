import TapCompareJSON

/// Capture lines through ``TapCompareJSON`` rather than `JSONEncoder`/`JSONDecoder`: the diff engine's parser
/// reads a capture several times faster than Foundation's decoder (which matters for a replay of 100,000
/// exchanges), and both directions keep key order and number spelling as they are.
extension CaptureRecord {
    /// The record as a JSON value, keys in the documented order.
    func jsonValue() -> JSONValue {
        var members: [JSONObject.Member] = [
            .init(key: "version", value: .integer(self.version)),
            .init(key: "id", value: .string(self.id)),
            .init(key: "request_id", value: .string(self.requestID)),
            .init(key: "route", value: .string(self.route)),
            .init(key: "started_at", value: .string(self.startedAt)),
            .init(key: "request", value: Self.json(self.request)),
            .init(key: "legacy", value: Self.json(self.legacy)),
        ]
        if let candidate = self.candidate {
            var c: [JSONObject.Member] = [.init(key: "result", value: .string(candidate.result.rawValue))]
            if let response = candidate.response { c.append(.init(key: "response", value: Self.json(response))) }
            if let reason = candidate.reason { c.append(.init(key: "reason", value: .string(reason))) }
            if let latency = candidate.latencyMS { c.append(.init(key: "latency_ms", value: Self.number(latency))) }
            members.append(.init(key: "candidate", value: .object(JSONObject(c))))
        }
        if let runID = self.runID { members.append(.init(key: "run_id", value: .string(runID))) }
        return .object(JSONObject(members))
    }

    private static func json(_ r: Request) -> JSONValue {
        var m: [JSONObject.Member] = [
            .init(key: "method", value: .string(r.method)),
            .init(key: "uri", value: .string(r.uri)),
            .init(key: "http_version", value: .string(r.httpVersion)),
            .init(key: "headers", value: Self.json(r.headers)),
        ]
        if let body = r.body { m.append(.init(key: "body", value: Self.json(body))) }
        m.append(.init(key: "body_length", value: .integer(r.bodyLength)))
        if !r.trailers.isEmpty { m.append(.init(key: "trailers", value: Self.json(r.trailers))) }
        return .object(JSONObject(m))
    }

    private static func json(_ r: Response) -> JSONValue {
        var m: [JSONObject.Member] = [
            .init(key: "status", value: .integer(r.status)),
            .init(key: "http_version", value: .string(r.httpVersion)),
            .init(key: "headers", value: Self.json(r.headers)),
        ]
        if let body = r.body { m.append(.init(key: "body", value: Self.json(body))) }
        m.append(.init(key: "body_length", value: .integer(r.bodyLength)))
        m.append(.init(key: "latency_ms", value: Self.number(r.latencyMS)))
        if !r.trailers.isEmpty { m.append(.init(key: "trailers", value: Self.json(r.trailers))) }
        return .object(JSONObject(m))
    }

    private static func json(_ headers: [Header]) -> JSONValue {
        .array(headers.map { .array([.string($0.name), .string($0.value)]) })
    }

    private static func json(_ body: CaptureBody) -> JSONValue {
        .object(JSONObject([.init(key: "encoding", value: .string(body.encoding.rawValue)), .init(key: "data", value: .string(body.data))]))
    }

    /// Shortest text that reads back as the same `Double` (`18.204`, `5000.0`).
    private static func number(_ value: Double) -> JSONValue {
        .number(JSONNumber(value.isFinite ? "\(value)" : "0")!)
    }

    // MARK: Reading

    /// Reads a record from a parsed line.
    /// - Throws: ``CaptureError`` naming the first key that is missing or has the wrong type.
    init(json: JSONValue) throws(CaptureError) {
        var r = Reader(path: "")
        guard case .object = json else { throw .invalidRecord("not a capture record: a line must be a JSON object") }
        let version = try r.int(json, "version")
        guard CaptureRecord.readableVersions.contains(version) else { throw .unsupportedVersion(version) }
        let request = try r.object(json, "request")
        let legacy = try r.object(json, "legacy")
        var candidate: Candidate?
        if let c = try r.optionalObject(json, "candidate") {
            let resultText = try r.string(c, "result", in: "candidate")
            guard let result = Candidate.Result(rawValue: resultText) else {
                throw .invalidRecord("candidate.result '\(resultText)' is not one of response, failed, timed_out, skipped")
            }
            candidate = Candidate(
                result: result,
                response: try r.optionalObject(c, "response", in: "candidate").map { v throws(CaptureError) in try Self.response(v, "candidate.response", &r) },
                reason: try r.optionalString(c, "reason", in: "candidate"),
                latencyMS: try r.optionalDouble(c, "latency_ms", in: "candidate")
            )
        }
        self.init(
            version: version,
            id: try r.string(json, "id"),
            requestID: try r.string(json, "request_id"),
            route: try r.string(json, "route"),
            startedAt: try r.string(json, "started_at"),
            request: Request(
                method: try r.string(request, "method", in: "request"),
                uri: try r.string(request, "uri", in: "request"),
                httpVersion: try r.optionalString(request, "http_version", in: "request") ?? "1.1",
                headers: try Self.headers(request, "request", &r),
                body: try Self.body(request, "request", &r),
                bodyLength: try r.int(request, "body_length", in: "request"),
                trailers: try Self.headers(request, "request", key: "trailers", optional: true, &r)
            ),
            legacy: try Self.response(legacy, "legacy", &r),
            candidate: candidate,
            runID: try r.optionalString(json, "run_id")
        )
    }

    private static func response(_ v: JSONValue, _ at: String, _ r: inout Reader) throws(CaptureError) -> Response {
        Response(
            status: try r.int(v, "status", in: at),
            httpVersion: try r.optionalString(v, "http_version", in: at) ?? "1.1",
            headers: try Self.headers(v, at, &r),
            body: try Self.body(v, at, &r),
            bodyLength: try r.int(v, "body_length", in: at),
            latencyMS: try r.double(v, "latency_ms", in: at),
            trailers: try Self.headers(v, at, key: "trailers", optional: true, &r)
        )
    }

    /// `headers` (required) or `trailers` (optional: absent in version 1, and when there were none) as name-value pairs.
    private static func headers(
        _ v: JSONValue, _ at: String, key: String = "headers", optional: Bool = false, _ r: inout Reader
    ) throws(CaptureError) -> [Header] {
        guard let value = v[key], !(optional && value.kind == .null) else {
            if optional { return [] }
            throw .invalidRecord("missing key '\(at).\(key)'")
        }
        guard case .array(let items) = value else { throw .invalidRecord("wrong type at '\(at).\(key)': expected an array of [name, value]") }
        var headers: [Header] = []
        headers.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            guard case .array(let pair) = item, pair.count == 2, let name = pair[0].stringValue, let value = pair[1].stringValue else {
                throw .invalidRecord("wrong type at '\(at).\(key)[\(i)]': a header is [name, value]")
            }
            headers.append(Header(name, value))
        }
        return headers
    }

    private static func body(_ v: JSONValue, _ at: String, _ r: inout Reader) throws(CaptureError) -> CaptureBody? {
        guard let b = try r.optionalObject(v, "body", in: at) else { return nil }
        let encodingText = try r.string(b, "encoding", in: at + ".body")
        guard let encoding = CaptureBody.Encoding(rawValue: encodingText) else {
            throw .invalidRecord("\(at).body.encoding '\(encodingText)' is not utf8 or base64")
        }
        return CaptureBody(encoding: encoding, data: try r.string(b, "data", in: at + ".body"))
    }

    /// Typed access with messages that name the key's full path.
    private struct Reader {
        var path: String

        func full(_ key: String, _ at: String) -> String { at.isEmpty ? key : at + "." + key }

        func value(_ v: JSONValue, _ key: String, _ at: String) throws(CaptureError) -> JSONValue {
            guard let value = v[key], value.kind != .null else { throw .invalidRecord("missing key '\(self.full(key, at))'") }
            return value
        }

        func string(_ v: JSONValue, _ key: String, in at: String = "") throws(CaptureError) -> String {
            guard let s = try self.value(v, key, at).stringValue else { throw .invalidRecord("wrong type at '\(self.full(key, at))': expected a string") }
            return s
        }

        func optionalString(_ v: JSONValue, _ key: String, in at: String = "") throws(CaptureError) -> String? {
            guard let value = v[key], value.kind != .null else { return nil }
            guard let s = value.stringValue else { throw .invalidRecord("wrong type at '\(self.full(key, at))': expected a string") }
            return s
        }

        func int(_ v: JSONValue, _ key: String, in at: String = "") throws(CaptureError) -> Int {
            guard let n = try self.value(v, key, at).numberValue, let i = Int(n.text) else {
                throw .invalidRecord("wrong type at '\(self.full(key, at))': expected a whole number")
            }
            return i
        }

        func double(_ v: JSONValue, _ key: String, in at: String = "") throws(CaptureError) -> Double {
            guard let n = try self.value(v, key, at).numberValue, let d = Double(n.text) else {
                throw .invalidRecord("wrong type at '\(self.full(key, at))': expected a number")
            }
            return d
        }

        func optionalDouble(_ v: JSONValue, _ key: String, in at: String = "") throws(CaptureError) -> Double? {
            guard let value = v[key], value.kind != .null else { return nil }
            guard let n = value.numberValue, let d = Double(n.text) else {
                throw .invalidRecord("wrong type at '\(self.full(key, at))': expected a number")
            }
            return d
        }

        func object(_ v: JSONValue, _ key: String, in at: String = "") throws(CaptureError) -> JSONValue {
            let value = try self.value(v, key, at)
            guard value.kind == .object else { throw .invalidRecord("wrong type at '\(self.full(key, at))': expected an object") }
            return value
        }

        func optionalObject(_ v: JSONValue, _ key: String, in at: String = "") throws(CaptureError) -> JSONValue? {
            guard let value = v[key], value.kind != .null else { return nil }
            guard value.kind == .object else { throw .invalidRecord("wrong type at '\(self.full(key, at))': expected an object") }
            return value
        }
    }
}
