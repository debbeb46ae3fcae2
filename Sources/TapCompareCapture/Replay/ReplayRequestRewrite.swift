import Foundation
import NIOCore
import NIOHTTP1
import TapCompareCore
import TapCompareJSON

/// What is changed in a captured request before it is sent, so an old capture stays valid: timestamps moved
/// by the capture's age (``ReplayTimeShift``) and bearer tokens re-signed (``ReplayJWTSigner``).
///
/// Only the request that is sent is rewritten: the exchange compared and recorded keeps the captured request.
public struct ReplayRequestRewrite: Sendable {
    /// `--shift-time`, in the order given. Default: none.
    public var timeShifts: [ReplayTimeShift] = []
    /// `--resign-jwt`. Default: none.
    public var jwtSigner: ReplayJWTSigner?

    public init(timeShifts: [ReplayTimeShift] = [], jwtSigner: ReplayJWTSigner? = nil) {
        self.timeShifts = timeShifts
        self.jwtSigner = jwtSigner
    }

    public var isEmpty: Bool { self.timeShifts.isEmpty && self.jwtSigner == nil }

    /// What the rewriting did over a run, so a value left alone is counted, not silently sent stale.
    public struct Counts: Sendable, Hashable {
        /// Timestamps moved at a `--shift-time` place.
        public var timestampsShifted = 0
        /// Values at a `--shift-time` place that are not timestamps (sent as captured).
        public var valuesNotTimestamps = 0
        /// Request bodies with a `--shift-time body:` place that are not JSON or are `Content-Encoding`-encoded.
        public var bodiesNotJSON = 0
        /// Bearer tokens re-signed (`--resign-jwt`).
        public var tokensResigned = 0
        /// `Authorization` values that are not a bearer JWT (a redacted capture's `[REDACTED]`), sent as captured.
        public var authorizationNotJWT = 0

        public init() {}

        public var isEmpty: Bool { self == Counts() }

        public mutating func add(_ other: Counts) {
            self.timestampsShifted += other.timestampsShifted
            self.valuesNotTimestamps += other.valuesNotTimestamps
            self.bodiesNotJSON += other.bodiesNotJSON
            self.tokensResigned += other.tokensResigned
            self.authorizationNotJWT += other.authorizationNotJWT
        }

        /// `12 timestamps shifted, 1 value not a timestamp; 40 tokens re-signed, 2 authorization values not a JWT`.
        public var sentence: String {
            var parts: [String] = []
            if self.timestampsShifted + self.valuesNotTimestamps + self.bodiesNotJSON > 0 {
                var p = "\(self.timestampsShifted) timestamps shifted"
                if self.valuesNotTimestamps > 0 { p += ", \(self.valuesNotTimestamps) values not timestamps (sent as captured)" }
                if self.bodiesNotJSON > 0 { p += ", \(self.bodiesNotJSON) bodies not JSON (sent as captured)" }
                parts.append(p)
            }
            if self.tokensResigned + self.authorizationNotJWT > 0 {
                var p = "\(self.tokensResigned) tokens re-signed"
                if self.authorizationNotJWT > 0 { p += ", \(self.authorizationNotJWT) Authorization values not a bearer JWT (sent as captured)" }
                parts.append(p)
            }
            return parts.joined(separator: "; ")
        }

        /// JUnit properties.
        public var properties: [(String, String)] {
            [
                ("rewrite.timestamps_shifted", self.timestampsShifted), ("rewrite.values_not_timestamps", self.valuesNotTimestamps),
                ("rewrite.bodies_not_json", self.bodiesNotJSON), ("rewrite.tokens_resigned", self.tokensResigned),
                ("rewrite.authorization_not_jwt", self.authorizationNotJWT),
            ].map { ($0.0, String($0.1)) }
        }
    }

    /// The request to send at `now` for one captured at `recordedAt`.
    public func apply(to captured: RequestSnapshot, recordedAt: Date, now: Date) -> RequestSnapshot {
        var counts = Counts()
        return self.apply(to: captured, recordedAt: recordedAt, now: now, counts: &counts)
    }

    /// The request to send at `now` for one captured at `recordedAt`, counting what was and was not changed.
    public func apply(to captured: RequestSnapshot, recordedAt: Date, now: Date, counts: inout Counts) -> RequestSnapshot {
        var request = captured
        let age = now.timeIntervalSince(recordedAt)
        var bodyPaths: [JSONPath] = []
        var queryNames: Set<String> = []
        var headerNames: Set<String> = []
        for shift in self.timeShifts {
            switch shift {
            case .body(let path): bodyPaths.append(path)
            case .query(let name): queryNames.insert(name)
            case .header(let name): headerNames.insert(name.lowercased())
            }
        }
        if !headerNames.isEmpty || self.jwtSigner != nil {
            var headers = HTTPHeaders()
            for (name, value) in request.headers {
                var value = value
                if headerNames.contains(name.lowercased()) {
                    if let shifted = TimestampShifter.shift(value.trimmingCharacters(in: .whitespaces), by: age) {
                        value = shifted
                        counts.timestampsShifted += 1
                    } else {
                        counts.valuesNotTimestamps += 1
                    }
                }
                if let signer = self.jwtSigner, name.lowercased() == "authorization" {
                    let parts = value.split(separator: " ", maxSplits: 1)
                    if parts.count == 2, parts[0].lowercased() == "bearer",
                       let token = signer.resign(String(parts[1]).trimmingCharacters(in: .whitespaces), now: now, recordedAt: recordedAt) {
                        value = "\(parts[0]) \(token)"
                        counts.tokensResigned += 1
                    } else {
                        counts.authorizationNotJWT += 1
                    }
                }
                headers.add(name: name, value: value)
            }
            request.headers = headers
        }
        if !queryNames.isEmpty { request.uri = Self.shiftQuery(request.uri, names: queryNames, by: age, counts: &counts) }
        if !bodyPaths.isEmpty { request.body = Self.shiftBody(request, paths: bodyPaths, by: age, counts: &counts) }
        return request
    }

    /// The URI with the values of the named query parameters moved; other bytes untouched.
    static func shiftQuery(_ uri: String, names: Set<String>, by seconds: Double, counts: inout Counts) -> String {
        guard let q = uri.firstIndex(of: "?") else { return uri }
        let query = uri[uri.index(after: q)...]
        var fragment = ""
        var queryPart = Substring(query)
        if let hash = query.firstIndex(of: "#") {
            fragment = String(query[hash...])
            queryPart = query[..<hash]
        }
        var pairs: [String] = []
        for pair in queryPart.split(separator: "&", omittingEmptySubsequences: false) {
            guard let eq = pair.firstIndex(of: "=") else {
                pairs.append(String(pair))
                continue
            }
            let rawName = pair[..<eq]
            let rawValue = String(pair[pair.index(after: eq)...])
            let name = rawName.removingPercentEncoding ?? String(rawName)
            guard names.contains(name) else {
                pairs.append(String(pair))
                continue
            }
            guard let value = rawValue.removingPercentEncoding, let shifted = TimestampShifter.shift(value, by: seconds) else {
                counts.valuesNotTimestamps += 1
                pairs.append(String(pair))
                continue
            }
            counts.timestampsShifted += 1
            // Written as it was: escaped when the captured value was (`%3A`), raw otherwise.
            let encoded = rawValue.contains("%") ? (shifted.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? shifted) : shifted
            pairs.append("\(rawName)=\(encoded)")
        }
        return String(uri[...q]) + pairs.joined(separator: "&") + fragment
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// The body with the values at the paths moved; the captured bytes when it is not JSON, is encoded
    /// (`Content-Encoding`), or nothing at the paths is a timestamp.
    static func shiftBody(_ request: RequestSnapshot, paths: [JSONPath], by seconds: Double, counts: inout Counts) -> ByteBuffer {
        guard request.body.readableBytes > 0 else { return request.body }
        guard !request.headers.contains(name: "content-encoding"),
              let matcher = try? JSONPathMatcher(paths: paths),
              var document = try? JSONParser.parse(request.body.readableBytesView)
        else {
            counts.bodiesNotJSON += 1
            return request.body
        }
        var shiftedCount = 0
        var leftCount = 0
        document.transformMatches(matcher: matcher) { value in
            switch value {
            case .string(let text):
                if let shifted = TimestampShifter.shift(text, by: seconds) {
                    shiftedCount += 1
                    return .string(shifted)
                }
            case .number(let number):
                if let shifted = TimestampShifter.shift(number, by: seconds) {
                    shiftedCount += 1
                    return .number(shifted)
                }
            default:
                break
            }
            leftCount += 1
            return value
        }
        counts.timestampsShifted += shiftedCount
        counts.valuesNotTimestamps += leftCount
        guard shiftedCount > 0 else { return request.body }
        var bytes: [UInt8] = []
        document.serialize(into: &bytes)
        return ByteBuffer(bytes: bytes)
    }
}
