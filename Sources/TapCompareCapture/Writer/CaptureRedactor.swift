import NIOCore
import TapCompareComparison
import TapCompareCore
import TapCompareGRPC
import TapCompareJSON
import TapCompareLedger

/// Removes secrets from a record before it is written.
///
/// A protocol so the writer does not care how; ``CaptureRedactor`` is the implementation `serve` uses.
public protocol CaptureRedacting: Sendable {
    /// Redacts in place.
    /// - Returns: The bodies left out because they could not be redacted (counted by the writer).
    func redact(_ record: inout CaptureRecord) -> [WithheldSample]
}

/// Applies the `redact:` configuration shared with the ledger, so one list keeps secrets out of both:
/// sensitive headers (`Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie` always, plus
/// `redact.headers`) and `redact.query_params` through the ledger's ``Redactor``; `redact.json_paths` in
/// JSON bodies with ``JSONFieldRedactor``.
///
/// Bodies are redacted on their text, not through the ledger's body redaction (which parses into a value tree and
/// serializes it again, fine for a stored sample): a capture is replayed and compared byte for byte, so every byte
/// outside a redacted value (whitespace, escapes, number spellings) must stay as it was. The paths are the same
/// TapCompareJSON ``TapCompareJSON/JSONPath``s the ledger uses, so one entry selects the same values in both. A redacted header keeps its name (the replay
/// still sends `Authorization: [REDACTED]`, which `--header` can replace).
///
/// The record's `request_id` is a header's value kept on its own: it is replaced by `[REDACTED]` as the header is
/// when the request id's header (`request_id_header`) is redacted, and when a redacted request header carries the
/// same value (a HAR import takes the id from `X-Request-Id`, whatever `request_id_header` says).
///
/// With JSON paths configured, a compressed body (`Content-Encoding: gzip`, …) is decoded with the comparison's
/// ``TapCompareComparison/BodyDecoder`` and stored decoded and redacted, its `Content-Encoding` removed and its
/// `Content-Length` corrected (a replay compares decoded bodies anyway). A body the paths cannot be applied to is
/// left out: `body` absent, `body_length` kept, so a replay skips the exchange as incomplete. That is a body that
/// cannot be decoded, one that starts like JSON but does not parse (cut at the capture's cap, or broken), a gRPC
/// call's protobuf frames, and bytes that are not UTF-8 text: stored as base64 they would keep every secret the
/// paths name. (A base64 body whose bytes are UTF-8 text, as a HAR import may give, is redacted as text.)
public struct CaptureRedactor: CaptureRedacting {
    private let redactor: Redactor
    private let jsonPaths: [JSONPath]
    private let decoder: any ContentDecoding

    /// - Parameter decoder: Undoes `Content-Encoding` before `redact.json_paths` apply. Default: the comparison's
    ///   ``TapCompareComparison/BodyDecoder`` with its default limits.
    /// - Throws: ``CaptureError`` naming a `redact.json_paths` entry that cannot be parsed.
    public init(_ configuration: RedactionConfiguration, decoder: any ContentDecoding = BodyDecoder()) throws(CaptureError) {
        do {
            self.redactor = try Redactor(configuration: configuration)
        } catch {
            throw .invalidRecord("\(error)")
        }
        // The ledger's redactor above parsed these already (and refused a bad one): the same TapCompareJSON
        // JSONPath, so one `redact.json_paths` entry selects the same values in the ledger and in a capture.
        var paths: [JSONPath] = []
        for text in configuration.jsonPaths {
            do {
                paths.append(try JSONPath(parsing: text))
            } catch {
                throw .invalidRecord("redact.json_paths: \(error.description)")
            }
        }
        self.jsonPaths = paths
        self.decoder = decoder
    }

    public func redact(_ record: inout CaptureRecord) -> [WithheldSample] {
        var withheld: [WithheldSample] = []
        // Before the headers are redacted: their values tell whether one of them carried the id.
        record.requestID = self.redactedRequestID(of: record)
        record.request.uri = self.redactor.redactQuery(in: record.request.uri)
        if !self.jsonPaths.isEmpty {
            withheld += self.redactBody(&record.request.body, length: &record.request.bodyLength, headers: &record.request.headers)
            withheld += self.redactBody(&record.legacy.body, length: &record.legacy.bodyLength, headers: &record.legacy.headers)
        }
        self.redact(&record.request.headers)
        self.redact(&record.request.trailers)
        self.redact(&record.legacy.headers)
        self.redact(&record.legacy.trailers)
        if var response = record.candidate?.response {
            if !self.jsonPaths.isEmpty {
                withheld += self.redactBody(&response.body, length: &response.bodyLength, headers: &response.headers)
            }
            self.redact(&response.headers)
            self.redact(&response.trailers)
            record.candidate?.response = response
        }
        return withheld
    }

    /// The record's request id as stored: ``TapCompareLedger/Redactor/marker`` when the request id's header is
    /// redacted, or when a redacted request header holds the same value.
    private func redactedRequestID(of record: CaptureRecord) -> String {
        let id = self.redactor.redactRequestID(record.requestID)
        guard id == record.requestID else { return id }
        let carried = record.request.headers.contains { self.redactor.isSensitiveHeader($0.name) && $0.value == id }
        return carried ? Redactor.marker : id
    }

    /// Headers or trailers (gRPC trailing metadata can carry tokens as headers do): sensitive values replaced.
    private func redact(_ headers: inout [CaptureRecord.Header]) {
        for i in headers.indices where self.redactor.isSensitiveHeader(headers[i].name) {
            headers[i].value = Redactor.marker
        }
    }

    /// Decodes (when encoded) and redacts one body; returns why it was left out, if it was.
    private func redactBody(_ body: inout CaptureBody?, length: inout Int, headers: inout [CaptureRecord.Header]) -> [WithheldSample] {
        guard let stored = body else { return [] }
        if headers.contains(where: { $0.name.lowercased() == "content-type" && GRPCContentType.isGRPC($0.value) }) {
            body = nil
            return [WithheldSample(reason: .protobuf, detail: "gRPC messages are protobuf, where no JSON path can be found")]
        }
        let bytes: ByteBuffer
        do {
            bytes = try stored.bytes()
        } catch {
            body = nil
            return [WithheldSample(reason: .undecodable, detail: "\(error)")]
        }
        let encoding = headers.filter { $0.name.lowercased() == "content-encoding" }.map(\.value)
        var content = bytes
        var wasComplete = length == bytes.readableBytes
        if !ContentCodings.isIdentity(encoding) {
            switch self.decoder.decodeContent(bytes, contentEncoding: encoding) {
            case .success(let decoded):
                wasComplete = true
                content = decoded
                length = decoded.readableBytes
                headers.removeAll { $0.name.lowercased() == "content-encoding" }
                for i in headers.indices where headers[i].name.lowercased() == "content-length" {
                    headers[i].value = String(decoded.readableBytes)
                }
            case .failure(let failure):
                body = nil
                return [WithheldSample(reason: failure.kind == .tooLarge ? .tooLarge : .undecodable, detail: failure.reason)]
            }
        }
        guard let text = String(validating: content.readableBytesView, as: UTF8.self) else {
            body = nil
            return [WithheldSample(reason: .binary, detail: "the body is not UTF-8 text, where no JSON path can be found")]
        }
        switch JSONFieldRedactor.redactDocument(text, paths: self.jsonPaths) {
        case .unchanged:
            body = CaptureBody(encoding: .utf8, data: text)
        case .redacted(let redacted):
            body = CaptureBody(encoding: .utf8, data: redacted)
            if wasComplete { length = redacted.utf8.count }
        case .unparseable:
            body = nil
            return [WithheldSample(reason: .unparseable, detail: "the body starts like JSON but does not parse")]
        }
        return []
    }
}
