/// Removes secrets from a record before it is written.
///
/// A protocol so the writer does not care how: ``CaptureRedactor`` handles headers and JSON paths here.
public protocol CaptureRedacting: Sendable {
    func redact(_ record: inout CaptureRecord)
}

/// Replaces the values of sensitive headers (every occurrence, in the request and in both responses) and of
/// configured JSON paths in UTF-8 JSON bodies with `[REDACTED]`.
///
/// The header itself is kept so a replay still sends `Authorization: [REDACTED]` and a reader can see the
/// header was there.
public struct CaptureRedactor: CaptureRedacting {
    private let names: Set<String>
    private let jsonPaths: [JSONRedactionPath]

    /// - Throws: ``CaptureError`` naming a JSON path that cannot be parsed.
    public init(_ redaction: CaptureRedaction) throws(CaptureError) {
        self.names = Set((CaptureRedaction.defaultHeaders + redaction.headers).map { $0.lowercased() })
        var paths: [JSONRedactionPath] = []
        for text in redaction.jsonPaths {
            paths.append(try JSONRedactionPath(parsing: text))
        }
        self.jsonPaths = paths
    }

    public func redact(_ record: inout CaptureRecord) {
        self.redact(&record.request.headers)
        self.redact(&record.legacy.headers)
        if self.jsonPaths.isEmpty == false {
            self.redact(&record.request.body, length: &record.request.bodyLength)
            self.redact(&record.legacy.body, length: &record.legacy.bodyLength)
        }
        if var response = record.candidate?.response {
            self.redact(&response.headers)
            if self.jsonPaths.isEmpty == false {
                self.redact(&response.body, length: &response.bodyLength)
            }
            record.candidate?.response = response
        }
    }

    private func redact(_ headers: inout [CaptureRecord.Header]) {
        for i in headers.indices where self.names.contains(headers[i].name.lowercased()) {
            headers[i].value = CaptureRedaction.placeholder
        }
    }

    private func redact(_ body: inout CaptureBody?, length: inout Int) {
        guard let b = body, b.encoding == .utf8 else { return }
        guard let redacted = JSONFieldRedactor.redact(b.data, paths: self.jsonPaths) else { return }
        let wasComplete = length == b.data.utf8.count
        body = CaptureBody(encoding: .utf8, data: redacted)
        if wasComplete { length = redacted.utf8.count }
    }
}
