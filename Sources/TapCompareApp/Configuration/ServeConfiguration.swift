import TapCompareCore
import TapCompareGRPC
import TapCompareLedger
import TapCompareMirroring
import TapCompareProxy
import TapCompareReview
import TapCompareStoreChecks

/// Everything `tapcompare serve` is configured with: the YAML file (see `tapcompare.example.yml`, which documents
/// every key) with command-line overrides applied. Each default below is the one used when the key is absent.
public struct ServeConfiguration: Sendable {
    /// `listen`: where clients connect. Default `0.0.0.0:8080`.
    public var listen = ListenAddress(host: "0.0.0.0", port: 8080)
    /// `legacy`: the service being replaced. Required. Every request goes there.
    public var legacy: UpstreamURL?
    /// `candidate`: the new service. Without one nothing is mirrored (every request counts as skipped).
    public var candidate: UpstreamURL?
    /// `preserve_host`: send the client's `Host` to legacy instead of legacy's own. Default `false`.
    public var preserveHost = false
    /// `sample_rate`: fraction of requests also sent to the candidate, 0…1. Default `0.01`.
    public var sampleRate = MirrorConfiguration.Defaults.sampleRate
    /// `sample_key`: `header:NAME` or `query:NAME`; the sampling decision becomes a stable hash of that value,
    /// so one user is always in or always out. Default: none (random sampling).
    public var sampleKey: SampleKey?
    /// `request_id_header`: the request id passed to both upstreams, generated when absent. Default `X-Request-Id`.
    public var requestIDHeader = ProxyConfiguration.Defaults.requestIDHeader
    /// `shutdown_grace`: how long SIGTERM waits for in-flight comparisons. Default `10s`.
    public var shutdownGrace = ProxyConfiguration.Defaults.shutdownGrace
    /// `memory_release_interval`: how often memory the process freed is handed back to the operating system
    /// (``MemoryReleaseService``); `0s` turns it off (`nil`). Default `10s`.
    public var memoryReleaseInterval: Duration? = MemoryReleaseService.defaultInterval
    /// `rules`: the `diff-rules/` directory. Default `diff-rules` when it exists, otherwise no rules.
    public var rules: String?

    /// `tls`: TLS on the client-facing listener. Default: none (plain HTTP).
    public var tls: ListenerTLS?
    /// `upstream_tls.*`: how each `https://` upstream's certificate is checked.
    public var upstreamTLS = UpstreamTLSSettings()
    public var listener = Listener()
    public var forwarded = Forwarded()
    public var upstream = Upstream()
    public var mirror = Mirror()
    public var routes: [Route] = []
    /// `stores:`, `stores_max_in_flight`, `stores_queue_capacity`, `stores_timeout`, and each route's
    /// `verify.stores:` (by route name): the store checks' own configuration, whose doc comments give each default
    /// (16 checks at once, 1,000 queued, 2 s per read).
    public var storeChecks = StoreChecksConfiguration()
    public var comparison = Comparison()
    /// `ledger.*` and `redact.*`: the ledger module's own configuration, whose doc comments give each default
    /// (`sqlite:tapcompare.sqlite`, 64 KiB samples, spool `tapcompare-spool` capped at 1 GiB, batches of 1,000
    /// flushed every 100 ms, a queue of 50,000; `Authorization`, `Proxy-Authorization`, `Cookie` and
    /// `Set-Cookie` always redacted).
    public var ledger = LedgerConfiguration()
    public var capture = Capture()
    public var noise = Noise()
    public var race = Race()
    /// `classification.*` and the knobs of ``Noise`` and ``Race`` end up in the comparison module's
    /// `ClassificationConfiguration`, which documents each default.
    public var classification = Classification()
    public var admin = Admin()
    /// `cutover.*`: when a route may be switched to the candidate (`tapcompare verdict`, `/api/v1/verdict`); the
    /// review module's ``CutoverPolicy`` documents each default (0.1 % at 95 %, 1,000 comparisons, p99 × 1.2).
    public var cutover = CutoverPolicy()
    /// `notify.*`: the webhook told of new problems, returning fixes and routes ready to switch (off by default).
    public var notify = NotifyConfiguration()
    /// `grpc.*`: gRPC calls' mirroring policy and comparison; ``GRPCConfiguration`` documents each default (no
    /// descriptor set, no read methods, `grpc-status` and `grpc-message`, 4 MiB messages).
    public var grpc = GRPCConfiguration()
    /// `grpc.descriptor_set` as read at start; `nil` without one (messages are compared by field number).
    public var grpcDescriptors: DescriptorSet?

    /// Which gRPC calls are mirrored: `grpc.read_methods`, plus routes naming a call path with
    /// `mirror_writes: true` (for the proxy's mirroring decision).
    public var grpcMethodPolicy: GRPCMethodPolicy {
        let optedIn = Set(self.routes.filter(\.mirrorWrites).compactMap { ConfigurationLoader.callPath(of: $0.template) })
        // The loader keeps only patterns that parse, so none can fail here.
        let patterns = self.grpc.readMethods.compactMap { try? GRPCMethodPattern(parsing: $0) }
        return GRPCMethodPolicy(readMethods: patterns, optedIn: optedIn)
    }

    public init() {}

    /// `upstream_tls.*`: one ``UpstreamTLS`` per upstream, because they usually differ (legacy signed by the
    /// production CA, a staging candidate by an internal CA). Only used for `https://` upstreams.
    public struct UpstreamTLSSettings: Sendable {
        /// `upstream_tls.legacy`. Default: the system trust store.
        public var legacy = UpstreamTLS()
        /// `upstream_tls.candidate`. Default: the system trust store.
        public var candidate = UpstreamTLS()
        /// `upstream_tls.secondary`. Default: the same as ``legacy`` (the secondary is another legacy instance).
        public var secondary: UpstreamTLS?
        public init() {}

        /// The setting the secondary actually uses.
        public var effectiveSecondary: UpstreamTLS { self.secondary ?? self.legacy }
    }

    /// `listener.*`: limits on client connections, the defences against slow or hostile clients.
    public struct Listener: Sendable {
        /// `listener.header_timeout`: a client must finish each request head within this long (from accepting the
        /// connection, or from the first byte of a later request); past it the client gets 408 and is closed.
        /// Default `10s`.
        public var headerTimeout = ProxyConfiguration.Defaults.headerTimeout
        /// `listener.idle_timeout`: a client connection silent this long between requests is closed.
        /// Default `60s`.
        public var idleTimeout = ProxyConfiguration.Defaults.clientIdleTimeout
        /// `listener.send_timeout`: how long a response may wait on a client that takes none of it (its socket full,
        /// an HTTP/2 stream's window spent) with nothing reaching the client in between; past it the client is cut off
        /// and the legacy call still answering it abandoned. Between two writes, not for the whole response: a slow
        /// client that keeps reading is never cut. Default `60s`.
        public var sendTimeout = ProxyConfiguration.Defaults.sendTimeout
        /// `listener.max_header_bytes`: the largest request head, and the largest header line, accepted; larger
        /// gets 431. Default `64KiB`.
        public var maxHeaderBytes = ProxyConfiguration.Defaults.maxRequestHeadBytes
        /// `listener.max_headers`: the most header fields in one request; more gets 431 (on HTTP/2, on that stream
        /// alone; pseudo-header fields not counted). Default `100`.
        public var maxHeaders = ProxyConfiguration.Defaults.maxRequestHeaders
        /// `listener.max_concurrent_streams`: the streams an HTTP/2 client may have open at once on one connection
        /// (SETTINGS_MAX_CONCURRENT_STREAMS). Default `100`.
        public var maxConcurrentStreams = ProxyConfiguration.Defaults.maxConcurrentStreams
        /// `listener.backlog`: connections the kernel queues on the listening socket before they are accepted;
        /// past it (and past `net.core.somaxconn`, which caps it) new connections are dropped or refused by the
        /// kernel. Default `1024`.
        public var backlog = Int(ProxyConfiguration.Defaults.backlog)
        /// `listener.max_accepts_per_wakeup`: connections accepted each time the listener's loop finds it readable,
        /// before the loop turns back to the connections it serves. Higher takes a burst of new clients at once;
        /// lower keeps one turn of the loop short for the clients already served. Default `64`.
        public var maxAcceptsPerWakeup = ProxyConfiguration.Defaults.maxAcceptsPerWakeup
        public init() {}
    }

    /// `forwarded.*`: who sets `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host`.
    public struct Forwarded: Sendable {
        /// `forwarded.trust_client_headers`: whether clients are a trusted proxy (a load balancer in front of this
        /// one) whose forwarded headers are kept: the peer's address is appended to its `X-Forwarded-For`, its
        /// `X-Forwarded-Proto` and `X-Forwarded-Host` are kept. Default `false`: this proxy is the edge; it sets all
        /// three itself and drops what clients send (and `Forwarded`), so no client can claim another address or
        /// scheme. `X-Forwarded-Proto` is never a list.
        public var trustClientHeaders = false
        public init() {}
    }

    /// `upstream.*`: the connection pool to legacy.
    public struct Upstream: Sendable {
        /// `upstream.connect_timeout`. Default `1s`.
        public var connectTimeout = ProxyConfiguration.Defaults.connectTimeout
        /// `upstream.read_timeout`: longest silence while waiting for legacy's response. Default `30s`.
        public var readTimeout = ProxyConfiguration.Defaults.readTimeout
        /// `upstream.write_timeout`: longest stall while sending the request to legacy. Default `30s`.
        public var writeTimeout = ProxyConfiguration.Defaults.writeTimeout
        /// `upstream.max_connections`: pooled keep-alive connections to legacy per event loop. Default `512`.
        public var maxConnections = ProxyConfiguration.Defaults.maxIdleConnectionsPerLoop
        /// `upstream.idle_timeout`: how long an idle pooled connection is kept. Default `60s`.
        public var idleTimeout = ProxyConfiguration.Defaults.idleTimeout
        /// `upstream.protocol`: `http1` or `http2`, the protocol spoken to an `https://` legacy (`h2c://` is always
        /// HTTP/2, `http://` always HTTP/1.1). Default `nil`: what the URL says (HTTP/1.1 for `https://`).
        public var httpProtocol: UpstreamURL.HTTPVersion?
        public init() {}
    }

    /// `mirror.*`: the candidate side.
    public struct Mirror: Sendable {
        /// `mirror.max_in_flight`: candidate calls running at once; beyond it requests are not mirrored
        /// (counted as `max_in_flight`). Default `256`.
        public var maxInFlight = MirrorConfiguration.Defaults.maxInFlight
        /// `mirror.timeout`: the whole candidate call. Default `5s`.
        public var timeout = MirrorConfiguration.Defaults.timeout
        /// `mirror.max_body_bytes`: larger request bodies are not mirrored (`body_too_large`). Default `1MiB`.
        public var maxBodyBytes = MirrorConfiguration.Defaults.maxBodyBytes
        /// `mirror.max_response_bytes`: response bodies kept for comparison, per side; a larger one is not
        /// compared (`response_too_large`), the client still gets all of it. Default `8MiB`.
        public var maxResponseBytes = MirrorConfiguration.Defaults.maxResponseBodyBytes
        /// `mirror.shadow_header`: marks every mirrored request so the candidate can route its writes to
        /// sister datastores. Default `X-Tap-Compare` (value `shadow`).
        public var shadowHeader = MirrorConfiguration.Defaults.shadowHeaderName
        /// `mirror.protocol`: `http1` or `http2`, the protocol spoken to an `https://` candidate, as
        /// ``Upstream/httpProtocol`` for legacy. Default `nil`: what the URL says.
        public var httpProtocol: UpstreamURL.HTTPVersion?
        public init() {}
    }

    /// One entry of `routes:`.
    public struct Route: Sendable {
        /// `route`: the template, e.g. `GET /api/v1/comments/{id}`.
        public var template: RouteTemplate
        /// `sample_rate`: this route's rate instead of the global one.
        public var sampleRate: Double?
        /// `mirror`: `false` turns mirroring off for this route. Default `true`.
        public var mirror = true
        /// `mirror_writes`: mirror POST/PUT/PATCH/DELETE on this route. Default `false`.
        public var mirrorWrites = false
        /// `verify`: read the written record back from both sides after a mirrored write (needs
        /// `mirror_writes`). Default: none.
        public var verify: Verify?

        /// `verify:` of a write route.
        public struct Verify: Sendable {
            /// `read`: the follow-up read over HTTP, e.g. `GET /api/v1/comments/{id}`. Default: none.
            public var read: RouteTemplate?
            /// `stores`: the stores to read after the write (``StoreCheck``), each declared under `stores:`.
            /// Default: none.
            public var stores: [StoreCheck] = []
            /// `id_from`: `path:NAME` (a parameter of this route) or a JSONPath into legacy's write response
            /// (`$.id`). Default: the parameter of the same name, else `$.<name>` of the response.
            public var idFrom: String?
            /// `delay`: wait before reading. Default `0s`.
            public var delay: Duration = .zero
        }

        public init(template: RouteTemplate) {
            self.template = template
        }
    }

    /// `comparison.*`: the diff stage between proxy and ledger.
    public struct Comparison: Sendable {
        /// `comparison.queue_capacity`: exchanges waiting for the diff engine; beyond it they are dropped
        /// and counted. Default `4096`.
        public var queueCapacity = 4096
        /// `comparison.workers`: concurrent diff workers. Default `2`, or `1` when the process may use one core
        /// only (``UsableCores``, e.g. under `taskset -c 1`): a second worker could not run beside the first, and
        /// every batch of exchanges woke both (sample rate 1.0, 32 connections, pinned: 1-2% more requests/s with
        /// one, issue 16).
        public var workers = Self.defaultWorkers
        public static var defaultWorkers: Int { min(2, UsableCores.affinityCount() ?? 2) }
        /// `comparison.version_header`: the candidate's response header naming the build that answered (e.g.
        /// `X-Version`); its value, cut to 64 printable ASCII bytes, is stored with each comparison
        /// (`comparisons.candidate_version`) and the report lists per problem the versions it was seen with.
        /// Default: none (no version recorded).
        public var versionHeader: String?
        public init() {}
    }

    /// `capture.*`: writing sampled exchanges to JSON Lines files for replay.
    public struct Capture: Sendable {
        /// `capture.path`: file path prefix; capture is off without it.
        public var path: String?
        /// `capture.sample_rate`: fraction of compared exchanges written. Default `1.0`.
        public var sampleRate = 1.0
        /// `capture.max_file_bytes`: a file is rotated beyond this size. Default `64MiB`.
        public var maxFileBytes = 64 << 20
        /// `capture.max_files`: rotated files kept; the oldest is deleted. Default `10`.
        public var maxFiles = 10
        /// `capture.queue_capacity`: exchanges waiting to be written; beyond, dropped and counted. Default `4096`.
        public var queueCapacity = 4096
        public init() {}
    }

    /// `secondary:` and `noise.*`: telling noise from regressions.
    public struct Noise: Sendable {
        /// `secondary`: a second legacy instance asked the same safe request; where the two legacy answers
        /// differ, a discrepancy is noise. Default: none.
        public var secondary: UpstreamURL?
        /// `noise.replay_legacy`: ask legacy itself a second time instead (safe requests only). Default `false`.
        public var replayLegacy = false
        /// `noise.baseline_rate`: fraction of compared safe requests that get a second legacy answer. Default `1.0`.
        public var baselineRate = 1.0
        /// `noise.min_share`: a field noisy in at least this share of baselined comparisons is noise on the
        /// others too. Default `0.5`.
        public var minShare = 0.5
        /// `noise.min_samples`: baselined comparisons of a route needed before anything is learned. Default `20`.
        public var minSamples = 20
        /// `noise.window`: recent baselined comparisons remembered per route. Default `200`.
        public var window = 200
        public init() {}
    }

    /// `race.*`: telling races (data that changed between the two reads) from regressions.
    public struct Race: Sendable {
        /// `race.recheck`: re-read legacy after a mismatch of a safe request. Default `true`.
        public var recheck = true
        /// `race.recheck_delay`: how long after the comparison. Default `200ms`.
        public var recheckDelay: Duration = .milliseconds(200)
        /// `race.version_headers`: headers carrying the resource version; differing values mean a race.
        /// Default `[ETag, Last-Modified]`; set `[]` when the candidate computes them differently.
        public var versionHeaders = ["ETag", "Last-Modified"]
        /// `race.version_path`: a body path holding the version, e.g. `$.version`. Default: none.
        public var versionPath: String?
        public init() {}
    }

    /// `classification.*`: bounds on the extra reads classification makes.
    public struct Classification: Sendable {
        /// `classification.max_in_flight`: comparisons gathering evidence at once. Default `64`.
        public var maxInFlight = 64
        /// `classification.queue_capacity`: comparisons waiting for evidence. Default `1024`.
        public var queueCapacity = 1024
        public init() {}
    }

    /// `admin.*`: the health, metrics and review listener.
    public struct Admin: Sendable {
        /// `admin.listen`. Default `127.0.0.1:9090`. Any non-loopback address requires `admin.token`.
        public var listen = ListenAddress(host: "127.0.0.1", port: 9090)
        /// `admin.token`: bearer token required on every admin request except `/healthz` and `/readyz`.
        public var token: String?
        public init() {}
    }
}
