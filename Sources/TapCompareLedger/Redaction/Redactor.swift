import Foundation
import NIOCore
import NIOHTTP1
import TapCompareCore

/// Removes secrets before anything is stored: header values in request samples, query parameters in paths,
/// values at configured JSON paths in discrepancies (and in bodies, see ``redactBody(_:)``).
///
/// Built once from the configuration; every method is pure, so it is shared by all writers and unit-tested
/// without I/O.
public struct Redactor: Sendable {
    /// What replaces every secret.
    public static let marker = "[REDACTED]"
    /// ``marker`` as JSON text, for discrepancy values.
    static let markerJSON = "\"[REDACTED]\""

    let headerNames: Set<String>
    let queryParameters: Set<String>
    let jsonPaths: [JSONPathPattern]

    /// - Throws: ``LedgerError`` for a `redact.json_paths` entry that is not a supported JSONPath.
    public init(configuration: RedactionConfiguration) throws(LedgerError) {
        self.headerNames = configuration.effectiveHeaderNames
        self.queryParameters = Set(configuration.queryParameters)
        var patterns: [JSONPathPattern] = []
        for path in configuration.jsonPaths {
            patterns.append(try JSONPathPattern(parsing: path))
        }
        self.jsonPaths = patterns
    }

    /// Whether a header's value is redacted (case-insensitive).
    public func isSensitiveHeader(_ name: String) -> Bool {
        self.headerNames.contains(name.lowercased())
    }

    /// The request target with configured query parameters' values replaced: `/a?token=[REDACTED]&page=2`.
    public func redactQuery(in uri: String) -> String {
        guard !self.queryParameters.isEmpty, let q = uri.firstIndex(of: "?") else { return uri }
        let query = uri[uri.index(after: q)...]
        var fragment: Substring = ""
        var queryPart = query
        if let hash = query.firstIndex(of: "#") {
            fragment = query[hash...]
            queryPart = query[..<hash]
        }
        var changed = false
        let pairs = queryPart.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let name = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let decoded = String(name).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(name)
            if self.queryParameters.contains(String(name)) || self.queryParameters.contains(decoded) {
                changed = true
                return "\(name)=\(Self.marker)"
            }
            return String(pair)
        }
        guard changed else { return uri }
        return String(uri[...q]) + pairs.joined(separator: "&") + fragment
    }

    /// A discrepancy with its values redacted: replaced when it lies at or inside a configured JSON path (or is a
    /// difference of a sensitive header: `Set-Cookie` differing between legacy and candidate must not store either
    /// cookie), redacted inside when the value is an object or array that contains a configured path.
    public func redact(_ d: LedgerDiscrepancy) -> LedgerDiscrepancy {
        var d = d
        if d.field.hasPrefix("header:") {
            if self.isSensitiveHeader(String(d.field.dropFirst("header:".count))) {
                if d.legacyValue != nil { d.legacyValue = Self.markerJSON }
                if d.candidateValue != nil { d.candidateValue = Self.markerJSON }
            }
            return d
        }
        guard !self.jsonPaths.isEmpty, d.kind != "status" else { return d }
        let tokens = JSONPathPattern.tokens(ofPointer: d.path)
        if self.jsonPaths.contains(where: { $0.coversValue(at: tokens) }) {
            if d.legacyValue != nil { d.legacyValue = Self.markerJSON }
            if d.candidateValue != nil { d.candidateValue = Self.markerJSON }
            return d
        }
        let below = self.jsonPaths.filter { $0.mayMatchBelow(tokens) }
        if !below.isEmpty {
            d.legacyValue = d.legacyValue.map { JSONBodyRedaction.redact($0, paths: below, at: tokens) }
            d.candidateValue = d.candidateValue.map { JSONBodyRedaction.redact($0, paths: below, at: tokens) }
        }
        return d
    }

    /// The request as stored: request line, headers (sensitive values redacted), blank line, body.
    public func requestText(_ request: RequestSnapshot) -> (text: String, truncated: Bool) {
        var text = "\(request.method.rawValue) \(self.redactQuery(in: request.uri)) HTTP/\(request.version.major).\(request.version.minor)\r\n"
        for (name, value) in request.headers {
            text += name
            text += ": "
            text += self.isSensitiveHeader(name) ? Self.marker : value
            text += "\r\n"
        }
        text += "\r\n"
        let body = self.redactBody(request.body)
        text += body
        return (text, request.isBodyTruncated)
    }

    /// A body as stored: UTF-8 text as it is, anything else as `base64:` + Base64. Values at configured JSON
    /// paths are redacted when the body is JSON.
    public func redactBody(_ body: ByteBuffer) -> String {
        let bytes = body.readableBytesView
        if let text = String(validating: bytes, as: UTF8.self) {
            return self.redactJSONText(text)
        }
        return "base64:" + Data(bytes).base64EncodedString()
    }

    /// Redacts configured JSON paths in a JSON text; other texts are returned unchanged.
    func redactJSONText(_ text: String) -> String {
        guard !self.jsonPaths.isEmpty else { return text }
        return JSONBodyRedaction.redact(text, paths: self.jsonPaths)
    }
}

extension String {
    /// The text cut to at most `maxBytes` UTF-8 bytes at a character boundary, and whether it was cut.
    func capped(toUTF8Bytes maxBytes: Int) -> (String, Bool) {
        guard self.utf8.count > maxBytes else { return (self, false) }
        let bytes = Array(self.utf8.prefix(maxBytes + 1))
        var cut = maxBytes
        // Never split a multi-byte character: back up over continuation bytes (10xxxxxx).
        while cut > 0, bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
        return (String(decoding: bytes[..<cut], as: UTF8.self), true)
    }

    /// The text as a JSON string literal.
    var jsonQuoted: String {
        var out = "\""
        out.reserveCapacity(self.utf8.count + 2)
        for scalar in self.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0}": out += "\u{FFFD}"  // jsonb cannot hold NUL
            case let s where s.value < 0x20:
                out += String(format: "\\u%04x", s.value)
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }
}
