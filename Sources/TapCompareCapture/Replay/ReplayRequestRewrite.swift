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

    /// The request to send at `now` for one captured at `recordedAt`.
    public func apply(to captured: RequestSnapshot, recordedAt: Date, now: Date) -> RequestSnapshot {
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
                if headerNames.contains(name.lowercased()), let shifted = TimestampShifter.shift(value.trimmingCharacters(in: .whitespaces), by: age) {
                    value = shifted
                }
                if let signer = self.jwtSigner, name.lowercased() == "authorization" {
                    let parts = value.split(separator: " ", maxSplits: 1)
                    if parts.count == 2, parts[0].lowercased() == "bearer",
                       let token = signer.resign(String(parts[1]).trimmingCharacters(in: .whitespaces), now: now, recordedAt: recordedAt) {
                        value = "\(parts[0]) \(token)"
                    }
                }
                headers.add(name: name, value: value)
            }
            request.headers = headers
        }
        if !queryNames.isEmpty { request.uri = Self.shiftQuery(request.uri, names: queryNames, by: age) }
        if !bodyPaths.isEmpty { request.body = Self.shiftBody(request, paths: bodyPaths, by: age) }
        return request
    }

    /// The URI with the values of the named query parameters moved; other bytes untouched.
    static func shiftQuery(_ uri: String, names: Set<String>, by seconds: Double) -> String {
        guard let q = uri.firstIndex(of: "?") else { return uri }
        let query = uri[uri.index(after: q)...]
        var fragment = ""
        var queryPart = Substring(query)
        if let hash = query.firstIndex(of: "#") {
            fragment = String(query[hash...])
            queryPart = query[..<hash]
        }
        let pairs = queryPart.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let eq = pair.firstIndex(of: "=") else { return String(pair) }
            let rawName = pair[..<eq]
            let rawValue = String(pair[pair.index(after: eq)...])
            let name = rawName.removingPercentEncoding ?? String(rawName)
            guard names.contains(name), let value = rawValue.removingPercentEncoding,
                  let shifted = TimestampShifter.shift(value, by: seconds)
            else { return String(pair) }
            // Written as it was: escaped when the captured value was (`%3A`), raw otherwise.
            let encoded = rawValue.contains("%") ? (shifted.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? shifted) : shifted
            return "\(rawName)=\(encoded)"
        }
        return String(uri[...q]) + pairs.joined(separator: "&") + fragment
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// The body with the values at the paths moved; the captured bytes when it is not JSON, is encoded
    /// (`Content-Encoding`), or nothing at the paths is a timestamp.
    static func shiftBody(_ request: RequestSnapshot, paths: [JSONPath], by seconds: Double) -> ByteBuffer {
        guard request.body.readableBytes > 0, !request.headers.contains(name: "content-encoding"),
              let matcher = try? JSONPathMatcher(paths: paths),
              var document = try? JSONParser.parse(request.body.readableBytesView)
        else { return request.body }
        var changed = false
        document.transformMatches(matcher: matcher) { value in
            switch value {
            case .string(let text):
                guard let shifted = TimestampShifter.shift(text, by: seconds) else { return value }
                changed = true
                return .string(shifted)
            case .number(let number):
                guard let shifted = TimestampShifter.shift(number, by: seconds) else { return value }
                changed = true
                return .number(shifted)
            default:
                return value
            }
        }
        guard changed else { return request.body }
        var bytes: [UInt8] = []
        document.serialize(into: &bytes)
        return ByteBuffer(bytes: bytes)
    }
}
