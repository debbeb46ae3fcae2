import NIOHTTP1
import TapCompareComparison
import TapCompareCore
import TapCompareJSON
import TapCompareLedger
import TapCompareMirroring
import TapCompareProxy
import TapCompareReview
import TapCompareStoreChecks
import Yams

/// The steps of ``ConfigurationLoader/read(_:)``, one a group of keys, in the order the file is checked (issues are
/// reported in that order).
extension ConfigurationLoader {
    /// The top-level scalars: `listen`, `legacy`, `candidate`, sampling, the request id header, `instance`, timers,
    /// `rules`.
    static func readTopLevel(_ r: YAMLMappingReader, into c: inout ServeConfiguration) {
        if let v = r.listenAddress("listen") { c.listen = v }
        c.legacy = r.url("legacy")
        c.candidate = r.url("candidate")
        if let v = r.bool("preserve_host") { c.preserveHost = v }
        if let v = r.rate("sample_rate") { c.sampleRate = v }
        if let node = r.node("sample_key") {
            if let text = node.scalar?.string, let key = Self.sampleKey(text) {
                c.sampleKey = key
            } else {
                r.fail("sample_key", node, "write 'header:NAME' or 'query:NAME', e.g. header:X-User-Id")
            }
        }
        if let v = r.string("request_id_header") {
            if HTTPToken.isValid(v) {
                c.requestIDHeader = v
                // The id is stored apart from its header: redacting the header redacts the stored id too.
                c.ledger.redaction.requestIDHeader = v
            } else {
                r.fail("request_id_header", r.node("request_id_header"), "'\(v)' is not a header name; write one like X-Request-Id")
            }
        }
        if let v = r.string("instance") { c.ledger.instance = v }
        if let v = r.duration("shutdown_grace") { c.shutdownGrace = v }
        if let v = r.duration("memory_release_interval") { c.memoryReleaseInterval = v == .zero ? nil : v }
        c.rules = r.string("rules")
    }

    /// How clients are accepted and upstreams called: `tls`, `upstream_tls`, `listener`, `forwarded`, `upstream`,
    /// `mirror`.
    static func readNetwork(_ r: YAMLMappingReader, into c: inout ServeConfiguration) {
        if let t = r.mapping("tls") {
            let certificate = t.string("certificate")
            let key = t.string("key")
            if let certificate, let key {
                c.tls = ListenerTLS(certificatePath: certificate, keyPath: key)
            } else {
                t.fail(certificate == nil ? "certificate" : "key", r.node("tls"),
                       "TLS on the listener needs both 'certificate: CERT.pem' and 'key: KEY.pem'; remove 'tls:' for plain HTTP")
            }
            t.rejectUnknownKeys()
        }
        if let m = r.mapping("upstream_tls") {
            if let v = Self.upstreamTLS(m, "legacy") { c.upstreamTLS.legacy = v }
            if let v = Self.upstreamTLS(m, "candidate") { c.upstreamTLS.candidate = v }
            c.upstreamTLS.secondary = Self.upstreamTLS(m, "secondary")
            m.rejectUnknownKeys()
        }
        if let l = r.mapping("listener") {
            for key in ["header_timeout", "idle_timeout"] {
                guard let v = l.duration(key) else { continue }
                guard v > .zero else {
                    l.fail(key, l.node(key), "must be more than 0 (a zero timeout would refuse every client); write e.g. 10s")
                    continue
                }
                if key == "header_timeout" { c.listener.headerTimeout = v } else { c.listener.idleTimeout = v }
            }
            if let v = l.positiveDuration("send_timeout", zero: "every client whose socket is full for an instant would be cut off mid-response") {
                c.listener.sendTimeout = v
            }
            if let v = l.bytes("max_header_bytes") { c.listener.maxHeaderBytes = v }
            if let v = l.int("max_headers", min: 1, max: 10_000) { c.listener.maxHeaders = v }
            if let v = l.int("max_concurrent_streams", min: 1, max: 10_000) { c.listener.maxConcurrentStreams = v }
            if let v = l.int("backlog", min: 1, max: 65_535) { c.listener.backlog = v }
            if let v = l.int("max_accepts_per_wakeup", min: 1, max: 4_096) { c.listener.maxAcceptsPerWakeup = v }
            l.rejectUnknownKeys()
        }
        if let f = r.mapping("forwarded") {
            if let v = f.bool("trust_client_headers") { c.forwarded.trustClientHeaders = v }
            f.rejectUnknownKeys()
        }
        if let u = r.mapping("upstream") {
            if let v = u.positiveDuration("connect_timeout", zero: "no connection to legacy could be made: every client would get 502") {
                c.upstream.connectTimeout = v
            }
            if let v = u.positiveDuration("read_timeout", zero: "every request would time out at once: every client would get 504") {
                c.upstream.readTimeout = v
            }
            if let v = u.positiveDuration("write_timeout", zero: "every request to legacy would time out as it is sent") {
                c.upstream.writeTimeout = v
            }
            if let v = u.int("max_connections", min: 1, max: 100_000) { c.upstream.maxConnections = v }
            if let v = u.duration("idle_timeout") { c.upstream.idleTimeout = v }
            c.upstream.httpProtocol = Self.httpProtocol(u, for: c.legacy, upstream: "legacy")
            u.rejectUnknownKeys()
        }
        if let m = r.mapping("mirror") {
            if let v = m.int("max_in_flight", min: 1, max: 1_000_000) { c.mirror.maxInFlight = v }
            if let v = m.positiveDuration("timeout", zero: "every candidate call would time out, and nothing would be compared") { c.mirror.timeout = v }
            if let v = m.bytes("max_body_bytes") { c.mirror.maxBodyBytes = v }
            if let v = m.bytes("max_response_bytes") { c.mirror.maxResponseBytes = v }
            if let v = m.string("shadow_header") {
                // Sent on every mirrored request as it is: the proxy's pipelines do not validate outbound headers.
                if HTTPToken.isValid(v) {
                    c.mirror.shadowHeader = v
                } else {
                    m.fail("shadow_header", m.node("shadow_header"), "'\(v)' is not a header name; write one like X-Tap-Compare")
                }
            }
            c.mirror.httpProtocol = Self.httpProtocol(m, for: c.candidate, upstream: "candidate")
            m.rejectUnknownKeys()
        }
    }

    /// `upstream.protocol` / `mirror.protocol`: `http1` or `http2`. HTTP/2 without TLS is written in the URL
    /// (`h2c://`), so the key only chooses for an `https://` upstream; a value the URL contradicts is refused.
    static func httpProtocol(_ r: YAMLMappingReader, for url: UpstreamURL?, upstream: String) -> UpstreamURL.HTTPVersion? {
        guard let text = r.string("protocol") else { return nil }
        guard let version = UpstreamURL.HTTPVersion(rawValue: text) else {
            r.fail("protocol", r.node("protocol"), "'\(text)' is not a protocol; write http1 or http2")
            return nil
        }
        if let url, !url.usesTLS, url.httpVersion != version {
            let fix =
                version == .http2
                ? "HTTP/2 without TLS is written in the URL: \(upstream): h2c://\(url.hostHeader)\(url.basePath)"
                : "an h2c:// \(upstream) speaks HTTP/2; write http://\(url.hostHeader)\(url.basePath) for HTTP/1.1"
            r.fail("protocol", r.node("protocol"), fix)
            return nil
        }
        return version
    }

    /// `routes:`: per-route sampling and mirroring, and `verify:` (read after `stores:`, which `verify.stores` names).
    /// A route written twice (`GET /x/{id}` and `GET /x/{name}` are one route) is refused.
    static func readRoutes(_ r: YAMLMappingReader, into c: inout ServeConfiguration) {
        if let routes = r.sequence("routes") {
            // Each of `c.routes`' index in the file (an entry that failed is not in `c.routes`).
            var fileIndex: [Int] = []
            for (index, node) in routes.enumerated() {
                let rr = YAMLMappingReader(file: r.file, prefix: "routes[\(index)]", node: node, collector: r.sharedCollector)
                guard let text = rr.string("route") else {
                    rr.fail("route", node, "each route needs 'route: METHOD /path', e.g. 'GET /api/v1/comments/{id}'")
                    rr.rejectUnknownKeys()
                    continue
                }
                do throws(RouteTemplateError) {
                    var route = ServeConfiguration.Route(template: try RouteTemplate(parsing: text))
                    // The route table would let the first entry decide mirroring while verify and store checks,
                    // keyed by the route's name, took the last: one route, one entry.
                    let first = c.routes.firstIndex { Self.sameRoute($0.template, route.template) }
                    if let first {
                        rr.fail("route", rr.node("route"), "'\(text)' is the same route as routes[\(fileIndex[first])] ('\(c.routes[first].template.name)'); merge the two entries into one")
                    }
                    route.sampleRate = rr.rate("sample_rate")
                    if let v = rr.bool("mirror") { route.mirror = v }
                    if let v = rr.bool("mirror_writes") { route.mirrorWrites = v }
                    if let vr = rr.mapping("verify") { Self.readVerify(vr, node: node, route: &route, into: &c) }
                    if first == nil {
                        c.routes.append(route)
                        fileIndex.append(index)
                    }
                } catch {
                    rr.fail("route", node, error.description)
                }
                rr.rejectUnknownKeys()
            }
        }
    }

    /// One route's `verify:` block: the follow-up read and the stores the write lands in.
    static func readVerify(_ vr: YAMLMappingReader, node: Node, route: inout ServeConfiguration.Route, into c: inout ServeConfiguration) {
        let storeChecks = Self.readStoreChecks(vr, stores: c.storeChecks.stores)
        if !storeChecks.isEmpty {
            c.storeChecks.checks[route.template.name] = storeChecks
            if !route.mirrorWrites {
                vr.fail("stores", vr.node("stores"), "verify needs mirror_writes: true on this route (only mirrored writes are verified)")
            }
        }
        if let readText = vr.string("read") {
            do throws(RouteTemplateError) {
                let read = try RouteTemplate(parsing: readText)
                // The follow-up is sent to legacy, in production, with the client's credentials: a write there
                // (DELETE, a second POST) would be a real one. Only methods that read are allowed.
                guard MirrorEligibility.isSafe(HTTPMethod(rawValue: read.method)) else {
                    vr.fail("read", vr.node("read"), "'\(readText)' is not a read: verify.read is sent to legacy again, so its method must be GET, HEAD or OPTIONS (e.g. 'GET /api/v1/comments/{id}')")
                    vr.rejectUnknownKeys()
                    return
                }
                var verify = ServeConfiguration.Route.Verify(read: read)
                verify.stores = storeChecks
                if let idFrom = vr.string("id_from") {
                    if idFrom.hasPrefix("path:") || (try? JSONPath(parsing: idFrom)).flatMap(ClassificationConfiguration.singleValuePointer) != nil {
                        verify.idFrom = idFrom
                    } else {
                        vr.fail("id_from", node, "'\(idFrom)' is neither path:NAME nor a single-value JSONPath such as $.id")
                    }
                }
                if let d = vr.duration("delay") { verify.delay = d }
                if !route.mirrorWrites {
                    vr.fail("read", node, "verify needs mirror_writes: true on this route (only mirrored writes are verified)")
                }
                route.verify = verify
            } catch {
                vr.fail("read", node, error.description)
            }
        } else if !storeChecks.isEmpty {
            route.verify = ServeConfiguration.Route.Verify(read: nil, stores: storeChecks)
        } else if vr.node("stores") == nil {
            vr.fail("read", node, "verify needs 'read: METHOD /path/{id}' (e.g. 'GET /api/v1/comments/{id}') or 'stores:' (the stores the write lands in)")
        }
        vr.rejectUnknownKeys()
    }

    /// Where comparisons go: `comparison`, `ledger`, `redact` (and `comparison.version_header` checked against it),
    /// `capture`.
    static func readPipeline(_ r: YAMLMappingReader, into c: inout ServeConfiguration) {
        let comparisonBlock = r.mapping("comparison")
        if let m = comparisonBlock {
            if let v = m.int("queue_capacity", min: 1, max: 10_000_000) { c.comparison.queueCapacity = v }
            if let v = m.int("workers", min: 1, max: 64) { c.comparison.workers = v }
            if let v = m.string("version_header") {
                if HTTPToken.isValid(v) {
                    c.comparison.versionHeader = v
                } else {
                    m.fail("version_header", m.node("version_header"), "'\(v.prefix(80))' is not a header name; write the candidate's response header that names its build, e.g. X-Version")
                }
            }
            m.rejectUnknownKeys()
        }
        if let m = r.mapping("ledger") {
            if let text = m.string("url"), let node = m.node("url") {
                do { c.ledger.url = try LedgerURL(parsing: text) } catch { m.fail("url", node, error.description) }
            }
            if let v = m.bytes("max_sample_bytes") { c.ledger.maxSampleBytes = v }
            if let v = m.string("spool_dir") { c.ledger.spoolDirectory = v }
            if let v = m.bytes("spool_max_bytes") { c.ledger.spoolMaxBytes = v }
            if let v = m.int("batch_size", min: 1, max: 100_000) { c.ledger.batchSize = v }
            if let v = m.duration("flush_interval") { c.ledger.flushInterval = v }
            if let v = m.int("queue_capacity", min: 1, max: 10_000_000) { c.ledger.queueCapacity = v }
            if let v = m.int("writers", min: 1, max: LedgerConfiguration.maxWriters) { c.ledger.writers = v }
            if let v = m.duration("write_timeout") { c.ledger.writeTimeout = v }
            if let v = m.duration("retry_interval") { c.ledger.retryInterval = v }
            if let v = m.string("instance") { c.ledger.instance = v }
            m.rejectUnknownKeys()
        }
        if let m = r.mapping("redact") {
            if let v = m.strings("headers") { c.ledger.redaction.headers = v }
            if let v = m.strings("json_paths") { c.ledger.redaction.jsonPaths = v }
            if let v = m.strings("query_params") { c.ledger.redaction.queryParameters = v }
            m.rejectUnknownKeys()
        }
        if let m = comparisonBlock, let header = c.comparison.versionHeader, c.ledger.redaction.effectiveHeaderNames.contains(header.lowercased()) {
            // Stored as [REDACTED] it would tell nothing: the header is either a secret or redacted by mistake.
            m.fail("version_header", m.node("version_header"), "'\(header)' is a redacted header (redact.headers, and always \(RedactionConfiguration.defaultHeaders.joined(separator: ", "))), so its value is never stored; name the candidate's header that carries its build, e.g. X-Version, or take it out of redact.headers")
            c.comparison.versionHeader = nil
        }
        if let m = r.mapping("capture") {
            c.capture.path = m.string("path")
            if let v = m.rate("sample_rate") { c.capture.sampleRate = v }
            if let v = m.bytes("max_file_bytes") { c.capture.maxFileBytes = v }
            if let v = m.int("max_files", min: 1, max: 100_000) { c.capture.maxFiles = v }
            if let v = m.int("queue_capacity", min: 1, max: 10_000_000) { c.capture.queueCapacity = v }
            m.rejectUnknownKeys()
        }
    }

    /// Classification evidence: `secondary`, `noise`, `race`, `classification`.
    static func readClassification(_ r: YAMLMappingReader, into c: inout ServeConfiguration) {
        c.noise.secondary = r.url("secondary")
        if let m = r.mapping("noise") {
            if let v = m.bool("replay_legacy") { c.noise.replayLegacy = v }
            if let v = m.rate("baseline_rate") { c.noise.baselineRate = v }
            if let v = m.rate("min_share") { c.noise.minShare = v }
            if let v = m.int("min_samples", min: 1, max: 1_000_000) { c.noise.minSamples = v }
            if let v = m.int("window", min: 1, max: 1_000_000) { c.noise.window = v }
            m.rejectUnknownKeys()
        }
        if let m = r.mapping("race") {
            if let v = m.bool("recheck") { c.race.recheck = v }
            if let v = m.duration("recheck_delay") { c.race.recheckDelay = v }
            if let v = m.strings("version_headers") { c.race.versionHeaders = v }
            if let text = m.string("version_path"), let node = m.node("version_path") {
                if (try? JSONPath(parsing: text)).flatMap(ClassificationConfiguration.singleValuePointer) != nil {
                    c.race.versionPath = text
                } else {
                    m.fail("version_path", node, "'\(text)' is not a single-value JSONPath such as $.version")
                }
            }
            m.rejectUnknownKeys()
        }
        if let m = r.mapping("classification") {
            if let v = m.int("max_in_flight", min: 1, max: 100_000) { c.classification.maxInFlight = v }
            if let v = m.int("queue_capacity", min: 1, max: 10_000_000) { c.classification.queueCapacity = v }
            m.rejectUnknownKeys()
        }
    }

    /// Operating the proxy: `admin`, `cutover`, `notify`.
    static func readOperations(_ r: YAMLMappingReader, into c: inout ServeConfiguration) {
        if let m = r.mapping("admin") {
            if let v = m.listenAddress("listen") { c.admin.listen = v }
            c.admin.token = m.string("token")
            m.rejectUnknownKeys()
        }
        if let m = r.mapping("cutover") { c.cutover = Self.cutover(m, routes: c.routes) }
        if let m = r.mapping("notify") {
            // Validated as an upstream URL is (http or https, a host); posted to as written.
            if let url = m.url("webhook") { c.notify.webhook = url.description }
            if let v = m.positiveDuration("interval", zero: "the ledger would be read again and again without a pause") { c.notify.interval = v }
            if let v = m.duration("window") { c.notify.window = v }
            if let v = m.duration("timeout") { c.notify.timeout = v }
            if let v = m.int("retries", min: 0, max: 10) { c.notify.retries = v }
            if let v = m.int("max_messages", min: 1, max: 1_000) { c.notify.maxMessages = v }
            m.rejectUnknownKeys()
        }
    }
}
