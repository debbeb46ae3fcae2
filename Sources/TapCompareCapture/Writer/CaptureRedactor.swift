import NIOCore
import TapCompareLedger

/// Removes secrets from a record before it is written.
///
/// A protocol so the writer does not care how; ``CaptureRedactor`` is the implementation `serve` uses.
public protocol CaptureRedacting: Sendable {
    func redact(_ record: inout CaptureRecord)
}

/// Applies the `redact:` configuration shared with the ledger, so one list keeps secrets out of both:
/// sensitive headers (`Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie` always, plus
/// `redact.headers`) and `redact.query_params` through the ledger's ``Redactor``; `redact.json_paths` in
/// UTF-8 JSON bodies with ``JSONFieldRedactor``.
///
/// Bodies are redacted on their text, not through the ledger's Foundation-based body redaction: a capture is
/// replayed and compared byte for byte, and re-serializing through `JSONSerialization` would round ids above
/// 2^53, reorder keys and respell numbers in every redacted body. A redacted header keeps its name (the replay
/// still sends `Authorization: [REDACTED]`, which `--header` can replace).
public struct CaptureRedactor: CaptureRedacting {
    private let redactor: Redactor
    private let jsonPaths: [JSONRedactionPath]

    /// - Throws: ``CaptureError`` naming a `redact.json_paths` entry that cannot be parsed.
    public init(_ configuration: RedactionConfiguration) throws(CaptureError) {
        do {
            self.redactor = try Redactor(configuration: configuration)
        } catch {
            throw .invalidRecord("\(error)")
        }
        var paths: [JSONRedactionPath] = []
        for text in configuration.jsonPaths {
            paths.append(try JSONRedactionPath(parsing: text))
        }
        self.jsonPaths = paths
    }

    public func redact(_ record: inout CaptureRecord) {
        record.request.uri = self.redactor.redactQuery(in: record.request.uri)
        self.redact(&record.request.headers)
        self.redact(&record.legacy.headers)
        if !self.jsonPaths.isEmpty {
            self.redact(&record.request.body, length: &record.request.bodyLength)
            self.redact(&record.legacy.body, length: &record.legacy.bodyLength)
        }
        if var response = record.candidate?.response {
            self.redact(&response.headers)
            if !self.jsonPaths.isEmpty {
                self.redact(&response.body, length: &response.bodyLength)
            }
            record.candidate?.response = response
        }
    }

    private func redact(_ headers: inout [CaptureRecord.Header]) {
        for i in headers.indices where self.redactor.isSensitiveHeader(headers[i].name) {
            headers[i].value = Redactor.marker
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
