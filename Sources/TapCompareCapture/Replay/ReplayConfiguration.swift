import Foundation
import TapCompareMirroring

/// How `tapcompare replay` sends a capture and judges the result.
public struct ReplayConfiguration: Sendable {
    /// The candidate under test (`--candidate`), e.g. `http://127.0.0.1:8081`. Required.
    public var candidate: ReplayTarget
    /// A live legacy to compare against instead of the recorded legacy responses (`--legacy`). Default: none.
    public var legacy: ReplayTarget?
    /// With a live legacy: send each safe request to legacy twice and classify a discrepancy where legacy
    /// disagrees with itself as noise, not a regression (`--baseline`). Default `false` (it doubles legacy's load).
    public var baseline: Bool = false
    /// Learn noise from the capture itself: repeated reads whose recorded legacy answers differ (see
    /// ``CaptureNoiseLearner``). `nil` turns it off (`--no-learn-noise`). Default: on, with `serve`'s thresholds
    /// (`min_share` 0.5, `min_samples` 20, window 200) and pairs at most 10 s apart.
    public var learnNoise: CaptureNoiseLearner.Configuration? = .init()
    /// Requests in flight at once (`--concurrency`). Default `16`; ``pacedConcurrency`` with `--speed` or
    /// `--rate`. When a paced request finds every slot taken it waits, and is counted as a late start.
    public var concurrency: Int
    /// The default ``concurrency`` of a paced replay: enough that the bound rarely shapes the load (256 requests
    /// in flight are 2,560 req/s at 100 ms each), small enough to stay a bound.
    public static let pacedConcurrency = 256
    /// How requests are spaced (`--speed`, `--rate`). Default ``ReplaySchedule/Pacing/unpaced``: as fast as
    /// ``concurrency`` allows, as a CI gate wants.
    public var pacing: ReplaySchedule.Pacing = .unpaced
    /// Go through the capture again after its end (`--loop`). Default `false`: once.
    public var loops = false
    /// Stop scheduling requests after this long (`--duration`; implies looping). Default: none.
    public var duration: Duration?
    /// Timestamps moved and tokens re-signed before sending (`--shift-time`, `--resign-jwt`). Default: none.
    public var rewrite = ReplayRequestRewrite()
    /// The largest fraction of failing exchanges (regressions, candidate errors and timeouts) that still passes
    /// (`--max-mismatch-rate`). Default `0`: any regression fails the run.
    public var maxMismatchRate: Double
    /// Whether captured writes (POST, PUT, PATCH, DELETE) are sent (`--include-writes`). Default `false`: they are
    /// skipped with reason `unsafe_method`. When sent they carry ``shadowHeader``.
    public var includeWrites: Bool
    /// The header that marks a replayed write, so the candidate can send it to its sister datastores.
    /// Default `X-Tap-Compare: shadow`, the same header `serve` puts on mirrored requests.
    public var shadowHeader: (name: String, value: String)
    /// Headers set on every replayed request, replacing captured ones of the same name (`--header`), e.g. a test
    /// token for the `Authorization` that the capture holds redacted. Default: none.
    public var headerOverrides: [(name: String, value: String)]
    /// How long one candidate (or live legacy) call may take. Default 5 s, as `mirror.timeout`.
    public var timeout: Duration
    /// How long opening a connection may take, the TLS handshake included (`--connect-timeout`). Default 2 s;
    /// raise it for a candidate far away over TLS, where a handshake alone can take longer.
    public var connectTimeout: Duration
    /// The largest response body read; a larger one is recorded as skipped (`response_too_large`). Default 16 MiB.
    public var maxResponseBytes: Int
    /// The run's id, recorded with every comparison in the ledger (`--run-id`). Default: a new UUIDv7.
    public var runID: String

    public init(
        candidate: ReplayTarget,
        legacy: ReplayTarget? = nil,
        concurrency: Int = 16,
        pacing: ReplaySchedule.Pacing = .unpaced,
        maxMismatchRate: Double = 0,
        includeWrites: Bool = false,
        shadowHeader: (name: String, value: String) = ("X-Tap-Compare", "shadow"),
        headerOverrides: [(name: String, value: String)] = [],
        timeout: Duration = .seconds(5),
        connectTimeout: Duration = .seconds(2),
        maxResponseBytes: Int = 16 * 1024 * 1024,
        runID: String
    ) {
        self.candidate = candidate
        self.legacy = legacy
        self.concurrency = concurrency
        self.pacing = pacing
        self.maxMismatchRate = maxMismatchRate
        self.includeWrites = includeWrites
        self.shadowHeader = shadowHeader
        self.headerOverrides = headerOverrides
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.maxResponseBytes = maxResponseBytes
        self.runID = runID
    }
}

/// An upstream to replay against: `http://host:port` or `https://host:port` with an optional base path.
public struct ReplayTarget: Sendable, Hashable, CustomStringConvertible {
    public var scheme: String
    public var host: String
    public var port: Int
    /// Prepended to every captured URI (no trailing slash), e.g. `/staging`. Usually empty.
    public var basePath: String
    /// How an `https` target's certificate is checked (`--candidate-ca-file`, `--candidate-insecure`, and the
    /// `--legacy-…` pair), as `serve`'s `upstream_tls`. Default: against the system trust store.
    public var tls = UpstreamTLS()

    /// - Throws: ``ReplayError`` naming the flag and what is wrong.
    public init(parsing text: String, flag: String) throws(ReplayError) {
        guard let schemeEnd = text.range(of: "://") else {
            throw .badArgument("\(flag) '\(text)' is not a URL; write e.g. http://127.0.0.1:8081")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw .badArgument("\(flag) '\(text)': only http and https are supported")
        }
        let rest = text[schemeEnd.upperBound...]
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        var base = String(rest[slash...])
        while base.hasSuffix("/") { base.removeLast() }
        let host: Substring
        var port = scheme == "https" ? 443 : 80
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                    throw .badArgument("\(flag) '\(text)': bad port")
                }
                port = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else {
                throw .badArgument("\(flag) '\(text)': the port must be a number from 1 to 65535")
            }
            port = p
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw .badArgument("\(flag) '\(text)' has no host") }
        self.scheme = scheme
        self.host = String(host)
        self.port = port
        self.basePath = base
    }

    /// The URL for a captured request target.
    func url(for uri: String) -> String {
        let h = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "\(self.scheme)://\(h):\(self.port)\(self.basePath)\(uri.hasPrefix("/") ? uri : "/" + uri)"
    }

    public var description: String {
        let h = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "\(self.scheme)://\(h):\(self.port)\(self.basePath)"
    }
}
