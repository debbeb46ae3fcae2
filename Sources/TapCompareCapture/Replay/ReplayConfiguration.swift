import Foundation
import TapCompareGRPC
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
    /// Which gRPC calls only read (`--config`'s `grpc.read_methods`): they are replayed like GET requests, without
    /// `--include-writes` and without the shadow header. A call a route opts in (``GRPCMethodPolicy/optedIn``) is
    /// still a write. Default `nil`: every gRPC call counts as a write, since all are POST.
    public var grpcMethods: GRPCMethodPolicy?
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

/// An upstream to replay against: `http://`, `https://` or `h2c://host:port` with an optional base path, parsed by
/// the proxy's own ``UpstreamURL`` so `replay` and `serve` read an upstream's URL alike.
public struct ReplayTarget: Sendable, Hashable, CustomStringConvertible {
    /// The URL as `serve` would read it, ``UpstreamURL/httpVersion`` included.
    public var upstream: UpstreamURL
    /// How an `https` target's certificate is checked (`--candidate-ca-file`, `--candidate-insecure`, and the
    /// `--legacy-…` pair), as `serve`'s `upstream_tls`. Default: against the system trust store.
    public var tls = UpstreamTLS()

    /// - Throws: ``ReplayError`` naming the flag and what is wrong.
    public init(parsing text: String, flag: String) throws(ReplayError) {
        guard text.contains("://") else {
            throw .badArgument("\(flag) '\(UpstreamURLError.shown(text))' is not a URL; write e.g. http://127.0.0.1:8081 (or h2c://127.0.0.1:50051 for HTTP/2 without TLS)")
        }
        do {
            self.upstream = try UpstreamURL(parsing: text)
        } catch {
            throw .badArgument("\(flag) '\(error.url)': \(error.reason)")
        }
    }

    /// `http` or `https` (`h2c` is `http`).
    public var scheme: String { self.upstream.scheme }
    public var host: String { self.upstream.host }
    public var port: Int { self.upstream.port }
    /// Prepended to every captured URI (no trailing slash), e.g. `/staging`. Usually empty.
    public var basePath: String { self.upstream.basePath }

    /// The protocol spoken: HTTP/2 for `h2c://`, or for `https://` with `--candidate-protocol http2` (as `serve`'s
    /// `protocol: http2`). Default HTTP/1.1.
    public var httpVersion: UpstreamURL.HTTPVersion {
        get { self.upstream.httpVersion }
        set { self.upstream.httpVersion = newValue }
    }

    /// `--candidate-protocol` / `--legacy-protocol`: `http1` or `http2`, as `serve`'s `protocol:`. HTTP/2 without TLS
    /// is written in the URL (`h2c://`), so the option only chooses for an `https://` target (h2 then offered by
    /// ALPN); a value the URL contradicts is refused.
    /// - Throws: ``ReplayError`` naming the option and the fix.
    public mutating func setProtocol(_ text: String, option: String) throws(ReplayError) {
        guard let version = UpstreamURL.HTTPVersion(rawValue: text) else {
            throw .badArgument("\(option) '\(text)' is not a protocol; write http1 or http2")
        }
        if !self.upstream.usesTLS, self.upstream.httpVersion != version {
            let hostAndPath = self.upstream.hostHeader + self.upstream.basePath
            throw .badArgument(
                version == .http2
                    ? "\(option) http2: HTTP/2 without TLS is written in the URL: h2c://\(hostAndPath)"
                    : "\(option) http1: an h2c:// target speaks HTTP/2; write http://\(hostAndPath) for HTTP/1.1"
            )
        }
        self.upstream.httpVersion = version
    }

    /// The URL for a captured request target.
    func url(for uri: String) -> String {
        let h = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "\(self.scheme)://\(h):\(self.port)\(self.basePath)\(uri.hasPrefix("/") ? uri : "/" + uri)"
    }

    public var description: String { self.upstream.description }
}
