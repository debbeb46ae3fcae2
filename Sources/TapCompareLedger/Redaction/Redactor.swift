import Foundation
import NIOCore
import NIOHTTP1
import TapCompareCore
import TapCompareJSON

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
    /// Whether the request id's header (``RedactionConfiguration/requestIDHeader``) is one of ``headerNames``.
    let redactsRequestID: Bool
    let queryParameters: Set<String>
    let jsonPaths: [JSONPathPattern]
    /// Undoes `Content-Encoding` before `jsonPaths` are applied; without one, an encoded body is withheld.
    let decoder: (any ContentDecoding)?

    /// - Parameters:
    ///   - configuration: The `redact:` settings.
    ///   - decoder: Decodes compressed bodies so `redact.json_paths` apply to what they contain (the comparison's
    ///     `BodyDecoder`). Default none: with JSON paths configured, an encoded body is then never stored.
    /// - Throws: ``LedgerError`` for a `redact.json_paths` entry that is not a supported JSONPath.
    public init(configuration: RedactionConfiguration, decoder: (any ContentDecoding)? = nil) throws(LedgerError) {
        self.decoder = decoder
        self.headerNames = configuration.effectiveHeaderNames
        self.redactsRequestID = self.headerNames.contains(configuration.requestIDHeader.lowercased())
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

    /// The request id as stored: ``marker``, as its header's value is, when the header it travels in
    /// (`request_id_header`, default `X-Request-Id`) is redacted; the id as it is otherwise.
    ///
    /// The id is kept apart from the headers (the ledger's `request_id` column, a capture's `request_id` field), so
    /// redacting the header alone left a copy of its value in clear.
    public func redactRequestID(_ id: String) -> String {
        self.redactsRequestID ? Self.marker : id
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
        var rebuilt = ""
        // Pairs are separated by `&` and, in many servers (HTML 4's recommendation, Java servlets, Rails), by
        // `;` too: a parameter after either is redacted, and each separator is kept as it was.
        var rest = queryPart
        while true {
            let end = rest.firstIndex { $0 == "&" || $0 == ";" } ?? rest.endIndex
            let pair = rest[..<end]
            let name = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let decoded = String(name).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(name)
            if self.queryParameters.contains(String(name)) || self.queryParameters.contains(decoded) {
                changed = true
                rebuilt += "\(name)=\(Self.marker)"
            } else {
                rebuilt += pair
            }
            guard end < rest.endIndex else { break }
            rebuilt.append(rest[end])
            rest = rest[rest.index(after: end)...]
        }
        guard changed else { return uri }
        return String(uri[...q]) + rebuilt + fragment
    }

    /// A discrepancy with its values redacted: replaced when it lies at or inside a configured JSON path (or is a
    /// difference of a sensitive header: `Set-Cookie` differing between legacy and candidate must not store either
    /// cookie), redacted inside when the value is an object or array that contains a configured path.
    public func redact(_ d: LedgerDiscrepancy) -> LedgerDiscrepancy {
        var d = d
        if let name = Self.headerName(ofField: d.field) {
            if self.isSensitiveHeader(name) {
                if d.legacyValue != nil { d.legacyValue = Self.markerJSON }
                if d.candidateValue != nil { d.candidateValue = Self.markerJSON }
            }
            return d
        }
        guard !self.jsonPaths.isEmpty, d.kind != "status" else { return d }
        if d.kind == "body_unparseable" {
            // The side that did not parse is an excerpt of its raw text, where no path can be found: withheld.
            // The side that parsed is a document and is redacted like any body below.
            d.legacyValue = d.legacyValue.map(Self.redactUnparseableSide)
            d.candidateValue = d.candidateValue.map(Self.redactUnparseableSide)
        }
        if d.kind == "body_changed" && d.path.isEmpty {
            // A line of a body compared as text (`line N: …`), or a binary body's length and digest: raw text, not
            // a value found at a path. JSON served as `text/*` (Flask's default for a string it returns), or two
            // bodies that both failed to parse as JSON, are compared this way, so a line may be a whole document.
            d.legacyValue = d.legacyValue.map(self.redactTextLine)
            d.candidateValue = d.candidateValue.map(self.redactTextLine)
            return d
        }
        let tokens = JSONPathPattern.tokens(ofPointer: d.path)
        if d.kind == "duplicate_key" {
            // The value lists the repeated key's occurrences, and each of them stands at `tokens`, not at
            // `tokens` + its index: `$.user.profile.ssn` must reach the `ssn` of every `profile`.
            d.legacyValue = d.legacyValue.map { self.redactOccurrences($0, at: tokens) }
            d.candidateValue = d.candidateValue.map { self.redactOccurrences($0, at: tokens) }
            return d
        }
        d.legacyValue = d.legacyValue.map { self.redactValue($0, at: tokens) }
        d.candidateValue = d.candidateValue.map { self.redactValue($0, at: tokens) }
        return d
    }

    /// The header a discrepancy's field names: `header:NAME` (an HTTP header) or `trailer:NAME` (a gRPC trailer
    /// such as `grpc-message`, compared by `grpc.compare_trailers`); `nil` for any other field.
    static func headerName(ofField field: String) -> String? {
        for prefix in ["header:", "trailer:"] where field.hasPrefix(prefix) {
            return String(field.dropFirst(prefix.count))
        }
        return nil
    }

    /// A `duplicate_key` value (a JSON array of the occurrences of one key, each at `tokens`) with every
    /// occurrence redacted as the value at `tokens` would be.
    func redactOccurrences(_ value: String, at tokens: [String]) -> String {
        if self.jsonPaths.contains(where: { $0.coversValue(at: tokens) }) { return Self.markerJSON }
        let below = self.jsonPaths.filter { $0.mayMatchBelow(tokens) }
        guard !below.isEmpty else { return value }
        guard case .array(let occurrences)? = try? JSONParser.parse(value) else {
            // Not the list the comparison writes: nothing tells where its values stand, so none is kept.
            return Self.markerJSON
        }
        let redacted = occurrences.map { JSONBodyRedaction.redact($0, paths: below, at: tokens) }
        return redacted == occurrences ? value : JSONValue.array(redacted).serialized()
    }

    /// A text-line value (a JSON string, `"line N: …"`) as stored when `redact.json_paths` are configured.
    ///
    /// - a line that is a JSON document (compact JSON is one line) is redacted like a body;
    /// - a line that holds JSON members but is not a document (a line of pretty-printed JSON, `"password": "pw",`)
    ///   is withheld: the paths cannot be located in it, and the member may be one of them;
    /// - any other line (prose, HTML, a binary body's length and digest) is kept.
    func redactTextLine(_ value: String) -> String {
        guard case .string(let text)? = try? JSONParser.parse(value) else { return value }
        var prefix = ""
        var content = text[...]
        if text.hasPrefix("line "), let colon = text.range(of: ": ") {
            prefix = String(text[..<colon.upperBound])
            content = text[colon.upperBound...]
        }
        let line = String(content)
        guard let redacted = JSONBodyRedaction.redactDocument(line, paths: self.jsonPaths) else {
            return Self.withheldLine(prefix)  // starts like a document but does not parse
        }
        if redacted != line { return JSONValue.quoted(prefix + redacted) }
        if Self.holdsJSONMember(content) && !Self.isJSONDocument(content) { return Self.withheldLine(prefix) }
        return value
    }

    /// What replaces a text line whose JSON members cannot be located by `redact.json_paths`.
    static func withheldLine(_ prefix: String) -> String {
        JSONValue.quoted(prefix + "\(marker) (a line holding JSON members; redact.json_paths cannot be applied to it)")
    }

    /// Whether `text` holds a JSON member: a closing quote followed by a colon (`"name": …`).
    static func holdsJSONMember(_ text: Substring) -> Bool {
        var afterQuote = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): afterQuote = true
            case UInt8(ascii: ":") where afterQuote: return true
            case 0x20, 0x09: continue
            default: afterQuote = false
            }
        }
        return false
    }

    /// Whether `text` is a whole JSON object or array (so the paths were applied to it).
    static func isJSONDocument(_ text: Substring) -> Bool {
        guard let first = text.utf8.first(where: { $0 != 0x20 && $0 != 0x09 }), first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else {
            return false
        }
        return (try? JSONParser.parse(String(text))) != nil
    }

    /// A JSON value found at `tokens` in a body: ``markerJSON`` when a configured path covers it, redacted inside
    /// when paths lie below it, as it is otherwise.
    func redactValue(_ value: String, at tokens: [String]) -> String {
        if self.jsonPaths.contains(where: { $0.coversValue(at: tokens) }) { return Self.markerJSON }
        let below = self.jsonPaths.filter { $0.mayMatchBelow(tokens) }
        return below.isEmpty ? value : JSONBodyRedaction.redact(value, paths: below, at: tokens)
    }

    /// A decoded gRPC message as stored: redacted where it stands in the comparison's view of the call,
    /// `{"messages": [...]}`, so `redact.json_paths` such as `$.messages[*].email` keep a field out of the stored
    /// messages exactly as they keep it out of the call's discrepancies (`/messages/0/email`).
    /// - Parameter index: The message's position in its stream.
    public func redactGRPCMessage(_ json: String, index: Int) -> String {
        self.jsonPaths.isEmpty ? json : self.redactValue(json, at: ["messages", String(index)])
    }

    /// Whether `redact.json_paths` are configured: a protobuf body's raw bytes cannot have them applied.
    public var redactsJSONPaths: Bool { !self.jsonPaths.isEmpty }

    /// A `body_unparseable` value: a JSON string (the parse error and the start of the raw body) is replaced, a
    /// parsed document is kept for the path redaction that follows.
    static func redactUnparseableSide(_ value: String) -> String {
        value.utf8.first == UInt8(ascii: "\"") ? "\"\(marker) (unparseable body; redact.json_paths cannot be applied to it)\"" : value
    }

    /// The request as stored: request line, headers (sensitive values redacted), blank line, body.
    public func requestText(_ request: RequestSnapshot) -> (text: String, truncated: Bool) {
        let sample = self.requestSample(request)
        return (sample.text, sample.truncated)
    }

    /// ``requestText(_:)``, and why the body was left out when it was (see ``bodySample(_:contentEncoding:)``).
    public func requestSample(_ request: RequestSnapshot) -> (text: String, truncated: Bool, withheld: WithheldSample?) {
        var text = "\(request.method.rawValue) \(self.redactQuery(in: request.uri)) HTTP/\(request.version.major).\(request.version.minor)\r\n"
        for (name, value) in request.headers {
            text += name
            text += ": "
            text += self.isSensitiveHeader(name) ? Self.marker : value
            text += "\r\n"
        }
        text += "\r\n"
        switch self.bodySample(request.body, contentEncoding: request.headers["content-encoding"]) {
        case .stored(let body):
            text += body
            return (text, request.isBodyTruncated, nil)
        case .withheld(let withheld):
            text += withheld.text
            return (text, request.isBodyTruncated, withheld)
        }
    }

    /// A body sample as stored, or why it is not.
    public enum BodySample: Sendable, Hashable {
        /// The text to store: redacted, UTF-8 as it is, anything else (only without `redact.json_paths`) as
        /// `base64:` + Base64.
        case stored(String)
        /// Nothing of the body is stored (``WithheldSample/text`` says so in its place).
        case withheld(WithheldSample)
    }

    /// A body as stored, with `redact.json_paths` applied to its content.
    ///
    /// With JSON paths configured, an encoded body (`Content-Encoding: gzip`, …) is decoded first with the
    /// comparison's decoder and stored decoded and redacted: its compressed bytes would keep every secret. A body
    /// that cannot be decoded (an encoding not decoded, corrupt data, over the decoder's limits), that starts like
    /// a JSON document but does not parse, or whose bytes are not UTF-8 text (JSON in another charset, or with one
    /// bad byte: as `base64:` it kept every field the paths name) cannot have the paths found in it, and is
    /// withheld: not stored at all, as a capture withholds it. Without JSON paths nothing in a body is secret by
    /// configuration, and it is stored as received.
    public func bodySample(_ body: ByteBuffer, contentEncoding: [String]) -> BodySample {
        guard !self.jsonPaths.isEmpty else { return .stored(self.redactBody(body)) }
        var content = body
        if !ContentCodings.isIdentity(contentEncoding) {
            guard let decoder = self.decoder else {
                return .withheld(WithheldSample(reason: .undecodable, detail: "no decoder for content-encoding '\(contentEncoding.joined(separator: ", ").prefix(40))'"))
            }
            switch decoder.decodeContent(body, contentEncoding: contentEncoding) {
            case .success(let decoded):
                content = decoded
            case .failure(let failure):
                return .withheld(WithheldSample(reason: failure.kind == .tooLarge ? .tooLarge : .undecodable, detail: failure.reason))
            }
        }
        let bytes = content.readableBytesView
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .withheld(WithheldSample(reason: .binary, detail: "the body is not UTF-8 text, where no JSON path can be found"))
        }
        guard let redacted = JSONBodyRedaction.redactDocument(text, paths: self.jsonPaths) else {
            return .withheld(WithheldSample(reason: .unparseable, detail: "the body starts like JSON but does not parse"))
        }
        return .stored(redacted)
    }

    /// A body as stored without `redact.json_paths`: UTF-8 text as it is, anything else as `base64:` + Base64.
    /// Values at configured JSON paths are redacted when the body is JSON.
    ///
    /// - Warning: With JSON paths configured, store ``bodySample(_:contentEncoding:)`` instead: it withholds what
    ///   the paths cannot be applied to, where this keeps such a body (`base64:`, unparseable text) as it came.
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
