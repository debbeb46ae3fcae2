import Foundation
import NIOCore
import NIOHTTP1
import TapCompareCore

extension CaptureRecord {
    /// The record of an exchange, bodies encoded as text or base64.
    public init(_ exchange: Exchange) {
        self.init(
            id: exchange.id.lowercasedText,
            requestID: exchange.requestID,
            route: exchange.route,
            startedAt: CaptureTime.format(exchange.startedAt),
            request: Request(exchange.request),
            legacy: Response(exchange.legacy, latency: exchange.legacyLatency),
            candidate: Candidate(exchange.candidate),
            runID: exchange.runID
        )
    }

    /// The exchange this record holds.
    /// - Throws: ``CaptureError`` when a field cannot be read (bad method, status, base64 or timestamp).
    public func exchange() throws(CaptureError) -> Exchange {
        guard CaptureRecord.readableVersions.contains(self.version) else { throw .unsupportedVersion(self.version) }
        guard let startedAt = CaptureTime.parse(self.startedAt) else {
            throw .invalidRecord("started_at '\(self.startedAt)' is not an RFC 3339 timestamp")
        }
        let candidate: CandidateResult
        if let c = self.candidate {
            candidate = try c.candidateResult()
        } else {
            candidate = .skipped(SkipReason("not_captured"))
        }
        return Exchange(
            id: UUID(uuidString: self.id) ?? UUID.v7(at: startedAt),
            requestID: self.requestID,
            route: self.route,
            startedAt: startedAt,
            request: try self.request.snapshot(),
            legacy: try self.legacy.snapshot(),
            legacyLatency: CaptureTime.duration(milliseconds: self.legacy.latencyMS),
            candidate: candidate,
            runID: self.runID
        )
    }
}

extension CaptureRecord.Request {
    public init(_ snapshot: RequestSnapshot) {
        self.init(
            method: snapshot.method.rawValue,
            uri: snapshot.uri,
            httpVersion: CaptureHTTPVersion.format(snapshot.version),
            headers: snapshot.headers.map { CaptureRecord.Header($0.name, $0.value) },
            body: snapshot.body.readableBytes == 0 ? nil : CaptureBody(bytes: snapshot.body, headers: snapshot.headers),
            bodyLength: snapshot.bodyLength,
            trailers: snapshot.trailers.map { CaptureRecord.Header($0.name, $0.value) }
        )
    }

    public func snapshot() throws(CaptureError) -> RequestSnapshot {
        guard !self.method.isEmpty, self.method.utf8.allSatisfy({ $0 >= 0x21 && $0 < 0x7F }) else {
            throw .invalidRecord("request method '\(self.method)' is not an HTTP method")
        }
        let body = try self.body?.bytes() ?? ByteBuffer()
        return RequestSnapshot(
            method: HTTPMethod(rawValue: self.method),
            uri: self.uri,
            version: try CaptureHTTPVersion.parse(self.httpVersion),
            headers: HTTPHeaders(self.headers.map { ($0.name, $0.value) }),
            body: body,
            bodyLength: max(self.bodyLength, body.readableBytes),
            trailers: self.trailers.map { ($0.name, $0.value) }
        )
    }
}

extension CaptureRecord.Response {
    public init(_ snapshot: ResponseSnapshot, latency: Duration) {
        self.init(
            status: Int(snapshot.status.code),
            httpVersion: CaptureHTTPVersion.format(snapshot.version),
            headers: snapshot.headers.map { CaptureRecord.Header($0.name, $0.value) },
            body: snapshot.body.readableBytes == 0 ? nil : CaptureBody(bytes: snapshot.body, headers: snapshot.headers),
            bodyLength: snapshot.bodyLength,
            latencyMS: CaptureTime.milliseconds(latency),
            trailers: snapshot.trailers.map { CaptureRecord.Header($0.name, $0.value) }
        )
    }

    public func snapshot() throws(CaptureError) -> ResponseSnapshot {
        guard (100...999).contains(self.status) else {
            throw .invalidRecord("status \(self.status) is not an HTTP status code")
        }
        let body = try self.body?.bytes() ?? ByteBuffer()
        return ResponseSnapshot(
            status: HTTPResponseStatus(statusCode: self.status),
            version: try CaptureHTTPVersion.parse(self.httpVersion),
            headers: HTTPHeaders(self.headers.map { ($0.name, $0.value) }),
            body: body,
            bodyLength: max(self.bodyLength, body.readableBytes),
            trailers: self.trailers.map { ($0.name, $0.value) }
        )
    }

    /// The latency as a `Duration`.
    public var latency: Duration { CaptureTime.duration(milliseconds: self.latencyMS) }
}

extension CaptureRecord.Candidate {
    public init(_ result: CandidateResult) {
        switch result {
        case .response(let snapshot, let latency):
            self.init(result: .response, response: CaptureRecord.Response(snapshot, latency: latency))
        case .failed(let reason, let latency):
            self.init(result: .failed, reason: reason, latencyMS: CaptureTime.milliseconds(latency))
        case .timedOut(let after):
            self.init(result: .timedOut, latencyMS: CaptureTime.milliseconds(after))
        case .skipped(let reason):
            self.init(result: .skipped, reason: reason.rawValue)
        }
    }

    public func candidateResult() throws(CaptureError) -> CandidateResult {
        switch self.result {
        case .response:
            guard let response = self.response else {
                throw .invalidRecord("candidate.result is 'response' but candidate.response is missing")
            }
            return .response(try response.snapshot(), latency: response.latency)
        case .failed:
            return .failed(reason: self.reason ?? "unknown", latency: CaptureTime.duration(milliseconds: self.latencyMS ?? 0))
        case .timedOut:
            return .timedOut(after: CaptureTime.duration(milliseconds: self.latencyMS ?? 0))
        case .skipped:
            return .skipped(SkipReason(self.reason ?? "unknown"))
        }
    }
}

/// HTTP versions as written in a capture: `1.0`, `1.1`, `2`, `3`.
enum CaptureHTTPVersion {
    static func format(_ version: HTTPVersion) -> String {
        version.minor == 0 && version.major >= 2 ? "\(version.major)" : "\(version.major).\(version.minor)"
    }

    static func parse(_ text: String) throws(CaptureError) -> HTTPVersion {
        var t = Substring(text)
        if t.hasPrefix("HTTP/") { t = t.dropFirst(5) }
        let parts = t.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let major = Int(parts[0]), (0...9).contains(major),
              let minor = parts.count == 2 ? Int(parts[1]) : 0, (0...9).contains(minor)
        else {
            throw .invalidRecord("http_version '\(text)' is not an HTTP version (write 1.1 or 2)")
        }
        return HTTPVersion(major: major, minor: minor)
    }
}

/// RFC 3339 timestamps with milliseconds, in UTC.
public enum CaptureTime {
    public static func format(_ date: Date) -> String {
        // Whole milliseconds, computed in integers: formatting the Double directly can print .382 for .383.
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let fraction = ms - seconds * 1000
        let whole = Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(Date.ISO8601FormatStyle())
        let fractionText = String(fraction)
        return String(whole.dropLast()) + "." + String(repeating: "0", count: 3 - fractionText.count) + fractionText + "Z"
    }

    /// A duration in milliseconds rounded to the microsecond, so `18.204` reads back as `18.204`, not
    /// `18.204000000000001`.
    public static func milliseconds(_ duration: Duration) -> Double {
        (duration.milliseconds * 1000).rounded() / 1000
    }

    /// Fractional milliseconds as a duration, to the microsecond (the precision a capture keeps).
    public static func duration(milliseconds: Double) -> Duration {
        .microseconds(Int64((milliseconds * 1000).rounded()))
    }

    /// Parses RFC 3339 with or without fractional seconds, with `Z` or a numeric offset.
    public static func parse(_ text: String) -> Date? {
        if let d = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return d }
        return try? Date.ISO8601FormatStyle().parse(text)
    }
}
