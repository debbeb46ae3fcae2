import Foundation
import Testing
import TapCompareCore
import TapCompareLedger
import TapCompareJSON
import TapCompareMirroring
import TapCompareProxy
import TapCompareStoreChecks
import TapCompareReview
@testable import TapCompareApp

@Suite struct ConfigurationLoaderTests {
    @Test func theExampleFileLoadsWithItsDocumentedValues() throws {
        let c = try ConfigurationLoader.load(file: Self.repoRoot + "/tapcompare.example.yml")
        #expect(c.listen == ListenAddress(host: "0.0.0.0", port: 8080))
        #expect(c.legacy?.description == "http://127.0.0.1:8000")
        #expect(c.candidate?.description == "http://127.0.0.1:8001")
        #expect(c.sampleRate == 0.01)
        #expect(c.mirror.maxInFlight == 256)
        #expect(c.mirror.timeout == .seconds(5))
        #expect(c.mirror.maxBodyBytes == 1 << 20)
        #expect(c.routes.map(\.template.name) == ["GET /api/v1/comments/{id}", "POST /api/v1/comments", "GET /api/v1/internal/{name}"])
        #expect(c.routes[0].sampleRate == 0.05)
        #expect(c.routes[1].mirrorWrites)
        #expect(c.routes[2].mirror == false)
        #expect(c.ledger.url.description == "sqlite:tapcompare.sqlite")
        #expect(c.ledger.batchSize == 1000)
        #expect(c.ledger.spoolMaxBytes == 1 << 30)
        #expect(c.ledger.flushInterval == .milliseconds(100))
        #expect(c.ledger.writers == 3)
        #expect(c.admin.listen == ListenAddress(host: "127.0.0.1", port: 9090))
        #expect(c.routes[1].verify?.read?.name == "GET /api/v1/comments/{id}")
        #expect(c.routes[1].verify?.idFrom == "$.id")
        #expect(c.noise.replayLegacy == false)
        #expect(c.noise.minShare == 0.5)
        #expect(c.race.recheckDelay == .milliseconds(200))
        #expect(c.race.versionHeaders == ["ETag", "Last-Modified"])
        #expect(c.capture.queueCapacity == 4096)
        #expect(c.capture.maxFiles == 10)
        #expect(c.listener.headerTimeout == .seconds(10))
        #expect(c.listener.idleTimeout == .seconds(60))
        #expect(c.listener.sendTimeout == .seconds(60))
        #expect(c.listener.maxHeaderBytes == 64 << 10)
        #expect(c.listener.maxHeaders == 100)
        #expect(c.memoryReleaseInterval == .seconds(10))
        #expect(c.forwarded.trustClientHeaders == false)
        #expect(c.comparison.versionHeader == nil)
    }

    /// `comparison.version_header`: unset by default (no version recorded), a header name, never a redacted one.
    @Test func versionHeaderIsAHeaderNameThatIsNotRedacted() throws {
        #expect(try ConfigurationLoader.load(yaml: "", file: "v.yml").comparison.versionHeader == nil)
        #expect(try ConfigurationLoader.load(yaml: "comparison:\n  version_header: X-Version\n", file: "v.yml").comparison.versionHeader == "X-Version")
        let bad = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "comparison:\n  version_header: \"X Version\"\n", file: "v.yml")
        }
        #expect(bad?.description == "v.yml:2:19: comparison.version_header: 'X Version' is not a header name; write the candidate's response header that names its build, e.g. X-Version")
        let list = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "comparison:\n  version_header: [X-Version]\n", file: "v.yml")
        }
        #expect(list?.description.contains("comparison.version_header: expected a string") == true)
        // A redacted header's value is only ever stored as [REDACTED]: refused, naming both keys and the fix.
        let redacted = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "comparison:\n  version_header: x-build\nredact:\n  headers: [X-Build]\n", file: "v.yml")
        }
        #expect(redacted?.issues.count == 1)
        #expect(redacted?.description.hasPrefix("v.yml:2:19: comparison.version_header: 'x-build' is a redacted header (redact.headers") == true)
        #expect(redacted?.description.contains("name the candidate's header that carries its build, e.g. X-Version, or take it out of redact.headers") == true)
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "comparison:\n  version_header: Authorization\n", file: "v.yml")
        }
    }

    /// `mirror.shadow_header` and `request_id_header` go out on requests as written (the proxy's pipelines do not
    /// validate outbound headers again): a value that is not a header name is refused with the file, key and fix.
    @Test func shadowAndRequestIDHeadersMustBeHeaderNames() throws {
        let c = try ConfigurationLoader.load(yaml: "request_id_header: X-Trace\nmirror:\n  shadow_header: X-Shadow\n", file: "m.yml")
        #expect(c.mirror.shadowHeader == "X-Shadow")
        #expect(c.requestIDHeader == "X-Trace")
        let shadow = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "mirror:\n  shadow_header: \"X Shadow\"\n", file: "m.yml")
        }
        #expect(shadow?.description == "m.yml:2:18: mirror.shadow_header: 'X Shadow' is not a header name; write one like X-Tap-Compare")
        let requestID = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "request_id_header: \"X-Id\\r\\nX-Admin: 1\"\n", file: "m.yml")
        }
        #expect(requestID?.description.hasPrefix("m.yml:1:20: request_id_header: ") == true)
        #expect(requestID?.description.hasSuffix("is not a header name; write one like X-Request-Id") == true)
    }

    /// `request_id_header` names the header whose value is stored as the request id: redacting that header redacts
    /// the stored id too, in the ledger and in captures (both take ``RedactionConfiguration`` from here).
    @Test func aRedactedRequestIDHeaderRedactsTheStoredRequestID() throws {
        let c = try ConfigurationLoader.load(yaml: "request_id_header: X-Correlation-Id\nredact:\n  headers: [x-correlation-id]\n", file: "r.yml")
        #expect(c.ledger.redaction.requestIDHeader == "X-Correlation-Id")
        #expect(try Redactor(configuration: c.ledger.redaction).redactRequestID("corr-0042") == Redactor.marker)
        let plain = try ConfigurationLoader.load(yaml: "request_id_header: X-Correlation-Id\nredact:\n  headers: [X-Request-Id]\n", file: "r.yml")
        #expect(try Redactor(configuration: plain.ledger.redaction).redactRequestID("corr-0042") == "corr-0042")
        let byDefault = try ConfigurationLoader.load(yaml: "redact:\n  headers: [X-Request-Id]\n", file: "r.yml")
        #expect(try Redactor(configuration: byDefault.ledger.redaction).redactRequestID("req-1") == Redactor.marker)
    }

    @Test func forwardedTrustDefaultsToTheEdgeAndIsValidated() throws {
        #expect(try ConfigurationLoader.load(yaml: "", file: "f.yml").forwarded.trustClientHeaders == false)
        #expect(try ConfigurationLoader.load(yaml: "forwarded:\n  trust_client_headers: true\n", file: "f.yml").forwarded.trustClientHeaders)
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "forwarded:\n  trust_client_headers: sometimes\n  trust_clients: true\n", file: "f.yml")
        }
        #expect(error?.description.contains("forwarded.trust_client_headers") == true)
        #expect(error?.description.contains("forwarded.trust_clients: unknown key") == true)
    }

    @Test func cutoverTargetsAreReadWithTheirDefaultsAndRanges() throws {
        #expect(try ConfigurationLoader.load(yaml: "", file: "c.yml").cutover == CutoverPolicy())
        // The example sets one route's own target, as documented there.
        #expect(try ConfigurationLoader.load(file: Self.repoRoot + "/tapcompare.example.yml").cutover
            == CutoverPolicy(routes: ["GET /api/v1/comments/{id}": .init(maxRegressionRate: 0.0005, minComparisons: 5000, maxLatencyRatio: 1.5)]))
        let c = try ConfigurationLoader.load(yaml: "cutover:\n  max_regression_rate: 0.01\n  confidence: 0.99\n  min_comparisons: 200\n  max_latency_ratio: 1.5\n", file: "c.yml").cutover
        #expect(c == CutoverPolicy(maxRegressionRate: 0.01, confidence: 0.99, minComparisons: 200, maxLatencyRatio: 1.5))
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "cutover:\n  max_regression_rate: 0\n  confidence: 0.3\n  min_comparisons: 0\n  max_latency_ratio: fast\n  target: 1\n", file: "c.yml")
        }
        let text = error?.description ?? ""
        #expect(text.contains("c.yml:2:24: cutover.max_regression_rate: must be more than 0 and less than 1"))
        #expect(text.contains("cutover.confidence: must be at least 0.5 and less than 1"))
        #expect(text.contains("cutover.min_comparisons"))
        #expect(text.contains("cutover.max_latency_ratio: expected a number above 0"))
        #expect(text.contains("cutover.target: unknown key"))
    }

    static let cutoverRoutes = """
        routes:
          - route: GET /api/comments/{id}
          - route: POST /api/comments
        cutover:
          max_regression_rate: 0.01

        """

    @Test func cutoverRoutesSetARoutesOwnTargetsByItsConfiguredName() throws {
        let c = try ConfigurationLoader.load(yaml: Self.cutoverRoutes + """
              routes:
                "GET /api/comments/{commentId}": { max_regression_rate: 0.0005, min_comparisons: 5000, max_latency_ratio: 1.5 }
                POST /api/comments:
                  confidence: 0.99

            """, file: "c.yml").cutover
        // Keyed by the configured route's name (the ledger's), whatever the parameter is called in the key.
        #expect(c.routes == [
            "GET /api/comments/{id}": .init(maxRegressionRate: 0.0005, minComparisons: 5000, maxLatencyRatio: 1.5),
            "POST /api/comments": .init(confidence: 0.99),
        ])
        #expect(c.effective(route: "GET /api/comments/{id}") == CutoverPolicy(maxRegressionRate: 0.0005, minComparisons: 5000, maxLatencyRatio: 1.5))
        #expect(c.effective(route: "GET /api/other") == CutoverPolicy(maxRegressionRate: 0.01))
    }

    @Test func cutoverRoutesMistakesNameTheFileTheKeyAndTheFix() throws {
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: Self.cutoverRoutes + """
                  routes:
                    GET /api/comments/{id}: { max_regresion_rate: 0.0005, min_comparisons: 0 }
                    POST /api/comments: { max_regression_rate: 0, max_latency_ratio: -1, confidence: 0.2 }
                    GET /api/users/{id}: { max_regression_rate: 0.01 }
                    GET /api/comments/{n}: { min_comparisons: 10 }
                    get api/x: { min_comparisons: 10 }
                    DELETE /api/comments: {}

                """, file: "c.yml")
        }
        let text = error?.description ?? ""
        #expect(text.contains(#"c.yml:7:76: cutover.routes["GET /api/comments/{id}"].min_comparisons: 0 is out of range; use 1…1000000000"#), "\(text)")
        #expect(text.contains(#"cutover.routes["GET /api/comments/{id}"].max_regresion_rate: unknown key; did you mean 'max_regression_rate'?"#), "\(text)")
        #expect(text.contains(#"cutover.routes["POST /api/comments"].max_regression_rate: must be more than 0 and less than 1"#))
        #expect(text.contains(#"cutover.routes["POST /api/comments"].max_latency_ratio: expected a number above 0"#))
        #expect(text.contains(#"cutover.routes["POST /api/comments"].confidence: must be at least 0.5 and less than 1"#))
        #expect(text.contains(#"c.yml:9:5: cutover.routes["GET /api/users/{id}"]: 'GET /api/users/{id}' matches no route under routes:; name one of routes: (GET /api/comments/{id}, POST /api/comments), or add '- route: GET /api/users/{id}' to routes:"#), "\(text)")
        #expect(text.contains(#"cutover.routes["GET /api/comments/{n}"]: names the same route as 'GET /api/comments/{id}' (GET /api/comments/{id}); keep one entry"#))
        #expect(text.contains(#"cutover.routes["get api/x"]: invalid route template 'get api/x': the path must start with '/'"#))
        #expect(text.contains(#"cutover.routes["DELETE /api/comments"]: give this route's targets"#))

        // No routes: at all: the fix says to add the route there.
        let none = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "cutover:\n  routes:\n    GET /a: { min_comparisons: 10 }\n", file: "n.yml")
        }
        #expect(none?.description.contains(#"n.yml:3:5: cutover.routes["GET /a"]: 'GET /a' matches no route under routes:; there is no routes: list; add '- route: GET /a' to routes:"#) == true, "\(none?.description ?? "")")
        // A list instead of a mapping.
        let list = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "cutover:\n  routes: [GET /a]\n", file: "l.yml")
        }
        #expect(list?.description.contains("cutover.routes: expected a mapping of keys to values") == true)
    }

    @Test func memoryReleaseCanBeSlowedOrTurnedOffButNotMisspelled() throws {
        #expect(try ConfigurationLoader.load(yaml: "", file: "m.yml").memoryReleaseInterval == .seconds(10))
        #expect(try ConfigurationLoader.load(yaml: "memory_release_interval: 5m\n", file: "m.yml").memoryReleaseInterval == .seconds(300))
        #expect(try ConfigurationLoader.load(yaml: "memory_release_interval: 0s\n", file: "m.yml").memoryReleaseInterval == nil)
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "memory_release_interval: often\n", file: "m.yml")
        }
        #expect(error?.description == "m.yml:1:26: memory_release_interval: 'often' is not a duration; write e.g. 250ms, 5s, 2m or 1h")
    }

    @Test func listenerLimitsAreReadAndAZeroTimeoutIsRefused() throws {
        let c = try ConfigurationLoader.load(
            yaml: "listener:\n  header_timeout: 2s\n  idle_timeout: 5m\n  send_timeout: 90s\n  max_header_bytes: 16KiB\n  max_headers: 40\n",
            file: "t.yml"
        )
        #expect(c.listener.headerTimeout == .seconds(2))
        #expect(c.listener.idleTimeout == .seconds(300))
        #expect(c.listener.sendTimeout == .seconds(90))
        #expect(try ConfigurationLoader.load(yaml: "", file: "t.yml").listener.sendTimeout == .seconds(60))
        #expect(c.listener.maxHeaderBytes == 16 << 10)
        #expect(c.listener.maxHeaders == 40)
        do {
            _ = try ConfigurationLoader.load(yaml: "listener:\n  header_timeout: 0s\n  max_headers: 0\n  header_timout: 1s\n", file: "t.yml")
            Issue.record("a zero header timeout was accepted")
        } catch {
            let text = error.description
            #expect(text.contains("t.yml:2:19: listener.header_timeout: must be more than 0"))
            #expect(text.contains("listener.max_headers"))
            #expect(text.contains("listener.header_timout: unknown key"))
        }
        // A zero send timeout would cut off every client whose socket is full for an instant; a negative one is not
        // a duration.
        let zero = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "listener:\n  send_timeout: 0s\n", file: "s.yml")
        }
        #expect(
            zero?.description
                == "s.yml:2:17: listener.send_timeout: must be more than 0 (every client whose socket is full for an instant would be cut off mid-response); write e.g. 5s"
        )
        let negative = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "listener:\n  send_timeout: -5s\n", file: "s.yml")
        }
        #expect(negative?.description == "s.yml:2:17: listener.send_timeout: '-5s' is not a duration; write e.g. 250ms, 5s, 2m or 1h")
    }

    @Test func http2KeysAreReadAndAProtocolTheURLContradictsIsRefused() throws {
        let c = try ConfigurationLoader.load(
            yaml: """
                legacy: https://legacy.internal:8443
                candidate: h2c://127.0.0.1:9001
                listener:
                  max_concurrent_streams: 250
                upstream:
                  protocol: http2
                mirror:
                  protocol: http2
                """,
            file: "h.yml"
        )
        #expect(c.listener.maxConcurrentStreams == 250)
        #expect(c.upstream.httpProtocol == .http2)
        #expect(c.mirror.httpProtocol == .http2)
        #expect(c.candidate?.httpVersion == .http2)
        #expect(c.legacy?.httpVersion == .http1)  // the key applies when the proxy is made (ServeRunner.speaking)
        #expect(ServeRunner.speaking(c.upstream.httpProtocol, c.legacy!).httpVersion == .http2)
        // The start-up summary names the protocol.
        #expect(
            StartupReporter.describe(ServeRunner.speaking(c.upstream.httpProtocol, c.legacy!), tls: c.upstreamTLS.legacy)
                == "https://legacy.internal:8443 (http2) (TLS verified against the system trust store)"
        )
        #expect(c.candidate?.description == "h2c://127.0.0.1:9001")
        #expect(try ConfigurationLoader.load(yaml: "", file: "h.yml").listener.maxConcurrentStreams == 100)

        let plain = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "legacy: http://127.0.0.1:8000\nupstream:\n  protocol: http2\n", file: "p.yml")
        }
        #expect(plain?.description.contains("p.yml:3:13: upstream.protocol: HTTP/2 without TLS is written in the URL: legacy: h2c://127.0.0.1:8000") == true, "\(plain?.description ?? "")")
        let h2c = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "candidate: h2c://127.0.0.1:9001\nmirror:\n  protocol: http1\n", file: "q.yml")
        }
        #expect(h2c?.description.contains("mirror.protocol: an h2c:// candidate speaks HTTP/2; write http://127.0.0.1:9001 for HTTP/1.1") == true, "\(h2c?.description ?? "")")
        let unknown = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "upstream:\n  protocol: spdy\n", file: "u.yml")
        }
        #expect(unknown?.description.contains("upstream.protocol: 'spdy' is not a protocol; write http1 or http2") == true, "\(unknown?.description ?? "")")
    }

    @Test("listener.backlog and listener.max_accepts_per_wakeup reach the proxy's listener; defaults 1024 and 64; out of range names the key and the range")
    func listenerAcceptKeysReachTheProxy() throws {
        let legacy = try UpstreamURL(parsing: "http://127.0.0.1:8000")
        let set = try ConfigurationLoader.load(
            yaml: "legacy: http://127.0.0.1:8000\nlistener:\n  backlog: 4096\n  max_accepts_per_wakeup: 16\n", file: "a.yml"
        )
        let proxy = ServeRunner.proxyConfiguration(set, legacy: legacy)
        #expect(proxy.backlog == 4096)
        #expect(proxy.maxAcceptsPerWakeup == 16)
        let unset = ServeRunner.proxyConfiguration(try ConfigurationLoader.load(yaml: "", file: "a.yml"), legacy: legacy)
        #expect(unset.backlog == 1024)
        #expect(unset.maxAcceptsPerWakeup == 64)

        let zero = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "listener:\n  max_accepts_per_wakeup: 0\n", file: "a.yml")
        }
        #expect(zero?.description == "a.yml:2:27: listener.max_accepts_per_wakeup: 0 is out of range; use 1…4096")
        let huge = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "listener:\n  backlog: 100000\n", file: "a.yml")
        }
        #expect(huge?.description == "a.yml:2:12: listener.backlog: 100000 is out of range; use 1…65535")
    }

    @Test func verificationNeedsMirroredWritesAndASingleValueIDPath() {
        let yaml = """
            routes:
              - route: POST /api/v1/comments
                verify:
                  read: GET /api/v1/comments/{id}
                  id_from: $..id
            race:
              version_path: $.items[*].v
            """
        let error = #expect(throws: ConfigurationError.self) { try ConfigurationLoader.load(yaml: yaml, file: "v.yml") }
        let text = error?.description ?? ""
        #expect(text.contains("routes[0].verify.id_from: '$..id' is neither path:NAME nor a single-value JSONPath"))
        #expect(text.contains("routes[0].verify.read: verify needs mirror_writes: true"))
        #expect(text.contains("race.version_path: '$.items[*].v' is not a single-value JSONPath"))
    }

    @Test("verify.read is sent to legacy again with the client's credentials: a method that writes is refused, naming the key and the fix")
    func verificationReadMustBeARead() throws {
        for read in ["DELETE /api/v1/comments/{id}", "POST /api/v1/comments", "PATCH /api/v1/comments/{id}", "* /api/v1/comments/{id}"] {
            let yaml = """
                routes:
                  - route: POST /api/v1/comments
                    mirror_writes: true
                    verify:
                      read: "\(read)"
                """
            let error = #expect(throws: ConfigurationError.self, "\(read)") { try ConfigurationLoader.load(yaml: yaml, file: "v.yml") }
            let text = error?.description ?? ""
            #expect(text.contains("v.yml:5:13: "), "\(text)")
            #expect(text.contains("routes[0].verify.read: '\(read)' is not a read: verify.read is sent to legacy again, so its method must be GET, HEAD or OPTIONS"), "\(text)")
        }
        for read in ["GET /api/v1/comments/{id}", "HEAD /api/v1/comments/{id}"] {
            let yaml = "routes:\n  - route: POST /api/v1/comments\n    mirror_writes: true\n    verify:\n      read: \(read)\n"
            #expect(try ConfigurationLoader.load(yaml: yaml, file: "v.yml").routes[0].verify?.read?.name == read)
        }
    }

    @Test("an upstream URL's credentials or query never reach an error message, in the file or on the command line")
    func badUpstreamURLsNeverPrintTheirSecrets() throws {
        for (yaml, key) in [
            ("legacy: http://svc:s3cret@10.0.0.5:8000\n", "legacy"),
            ("legacy: http://svc:s3cret@10.0.0.5\n", "legacy"),
            ("legacy: http://a:1\ncandidate: https://u:s3cret@h:99999\n", "candidate"),
            ("legacy: http://a:1\nnotify:\n  webhook: https://hooks.example.com/x?token=s3cret\n", "notify.webhook"),
        ] {
            let error = #expect(throws: ConfigurationError.self, "\(yaml)") { try ConfigurationLoader.load(yaml: yaml, file: "f.yml") }
            let text = error?.description ?? ""
            #expect(text.contains("f.yml:") && text.contains("\(key): "), "\(text)")
            #expect(!text.contains("s3cret"), "\(text)")
        }
        let base = try ConfigurationLoader.load(yaml: "legacy: http://a:1\n", file: "f.yml")
        for flags in [ConfigurationOverrides(legacy: "http://u:s3cret@h"), ConfigurationOverrides(candidate: "http://u:s3cret@h:8000/x?k=s3cret")] {
            let error = #expect(throws: ConfigurationError.self) { try flags.apply(to: base, file: "f.yml") }
            let text = error?.description ?? ""
            #expect(text.contains("credentials in the URL are not supported") && text.contains("***@h"), "\(text)")
            #expect(!text.contains("s3cret"), "\(text)")
        }
    }

    @Test("a zero upstream or candidate timeout is refused: it would fail every request")
    func zeroTimeoutsAreRefused() throws {
        for (section, key) in [("upstream", "connect_timeout"), ("upstream", "read_timeout"), ("upstream", "write_timeout"), ("mirror", "timeout")] {
            let error = #expect(throws: ConfigurationError.self, "\(section).\(key)") {
                try ConfigurationLoader.load(yaml: "legacy: http://a:1\n\(section):\n  \(key): 0s\n", file: "t.yml")
            }
            let text = error?.description ?? ""
            #expect(text.contains("t.yml:3:") && text.contains("\(section).\(key): must be more than 0 ("), "\(text)")
            #expect(text.contains("write e.g. 5s"), "\(text)")
        }
        let c = try ConfigurationLoader.load(yaml: "legacy: http://a:1\nupstream:\n  read_timeout: 250ms\nmirror:\n  timeout: 1s\n", file: "t.yml")
        #expect(c.upstream.readTimeout == .milliseconds(250) && c.mirror.timeout == .seconds(1))
    }

    @Test("a list or a mapping where ledger.url or race.version_path expects a string is an error, not ignored; notify.interval 0s is refused")
    func valuesOfTheWrongShapeAreRefused() {
        for (yaml, message) in [
            ("legacy: http://a:1\nledger:\n  url: [postgres://db/x]\n", "t.yml:3:8: ledger.url: expected a string"),
            ("legacy: http://a:1\nrace:\n  version_path: {a: 1}\n", "t.yml:3:17: race.version_path: expected a string"),
            ("legacy: http://a:1\nnotify:\n  webhook: https://hooks.example.com/x\n  interval: 0s\n", "t.yml:4:13: notify.interval: must be more than 0"),
        ] {
            let error = #expect(throws: ConfigurationError.self, "\(yaml)") { try ConfigurationLoader.load(yaml: yaml, file: "t.yml") }
            #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
        }
    }

    @Test func storesAndTheirChecksAreReadAsTheExampleDocumentsThem() throws {
        // The commented-out `stores:` blocks of tapcompare.example.yml, uncommented (prose stays a comment).
        let example = try String(contentsOfFile: Self.repoRoot + "/tapcompare.example.yml", encoding: .utf8)
        var indent: String?
        let yaml = example.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let text = String(line)
            if text.trimmingCharacters(in: .whitespaces).hasPrefix("# stores:") { indent = String(text.prefix { $0 == " " }) }
            guard let prefix = indent else { return text }
            guard text.hasPrefix(prefix + "# ") else {
                indent = nil
                return text
            }
            let rest = text.dropFirst(prefix.count + 2)
            return rest.hasPrefix("stores") || rest.hasPrefix(" ") ? prefix + rest : text
        }.joined(separator: "\n")
        let c = try ConfigurationLoader.load(yaml: yaml, file: "example-with-stores.yml")
        #expect(c.storeChecks.stores.keys.sorted() == ["comment_events", "comments_cache", "comments_db", "local"])
        #expect(c.storeChecks.stores["comment_events"]?.stream == "comment-events")
        #expect(c.storeChecks.stores["comments_cache"]?.kind == .memcached)
        #expect(c.storeChecks.maxInFlight == 16 && c.storeChecks.queueCapacity == 1000)
        #expect(c.storeChecks.timeout == .seconds(2) && c.storeChecks.recheckDelay == .milliseconds(200))
        let checks = try #require(c.storeChecks.checks["POST /api/v1/comments"])
        #expect(checks.map(\.store) == ["comments_db", "comments_cache", "comment_events"])
        #expect(checks[0].version == JSONPointer(tokens: ["updated_at"]))
        #expect(checks[2].consumerCheck == ["python3", "consumers/check_comment_event.py"])
        #expect(c.routes[1].verify?.read?.name == "GET /api/v1/comments/{id}", "the HTTP read-back stays beside the store checks")
    }

    @Test func storeMistakesNameTheFileTheKeyAndTheFix() {
        let yaml = """
            stores:
              comments_db: { kind: postgres, legacy: "postgres://ro@db/app", candidate: "postgres://ro@sister/app" }
              cache: { kind: memcache, legacy: "a:1", candidate: "b:1" }
              events: { kind: redis_stream, legacy: "redis://a", candidate: "redis://b" }
            routes:
              - route: POST /api/v1/comments
                mirror_writes: true
                verify:
                  stores:
                    - { store: comments_db, query: "DELETE FROM comments WHERE id = $1", params: [$.id] }
                    - { store: comments_db, query: "SELECT * FROM comments; DROP TABLE comments", params: [$.id] }
                    - { store: comments_db, query: "SELECT * FROM comments WHERE id = $1 FOR UPDATE", params: [$.id] }
                    - { store: coments_db, query: "SELECT 1" }
                    - { store: comments_db, query: "SELECT 1", params: [$..id] }
                    - { store: comments_db, query: "SELECT pg_advisory_lock(id) FROM comments WHERE id = $1", params: [$.id] }
              - route: PUT /api/v1/comments/{id}
                verify:
                  stores:
                    - { store: comments_db, query: "SELECT 1" }
            """
        let error = #expect(throws: ConfigurationError.self) { try ConfigurationLoader.load(yaml: yaml, file: "s.yml") }
        let text = error?.description ?? ""
        #expect(text.contains("s.yml:3:18: stores.cache.kind: 'memcache' is not a store kind; write one of postgres, sqlite, redis, redis_stream, memcached"), "\(text)")
        #expect(text.contains("stores.events.stream: a redis_stream store needs 'stream:'"))
        #expect(text.contains("s.yml:10:40: routes[0].verify.stores[0].query: the query starts with 'DELETE' at character 1"), "\(text)")
        #expect(text.contains("routes[0].verify.stores[1].query: a second statement after ';' at character 23"))
        #expect(text.contains("routes[0].verify.stores[2].query: 'UPDATE' at character 42 can write, lock rows or change the session"))
        #expect(text.contains("routes[0].verify.stores[3].store: 'coments_db' is not declared under stores: did you mean 'comments_db'?"))
        #expect(text.contains("routes[0].verify.stores[4].params: '$..id' is not a value source"))
        #expect(text.contains("s.yml:15:40: routes[0].verify.stores[5].query: 'pg_advisory_lock(' at character 8 takes or releases an advisory lock, which a session keeps after the check: a store check only reads, so write its SELECT without it"), "\(text)")
        #expect(text.contains("routes[1].verify.stores: verify needs mirror_writes: true"))
        #expect(!text.contains("unknown key"), "a mistake in one key does not make its neighbours unknown: \(text)")
    }

    /// A check's query is read as its store's database reads it: `[name]` is a name in SQLite, a subscript in
    /// PostgreSQL (where what it holds is SQL like any other).
    @Test func storeCheckQueriesAreReadAsTheirStoresDatabaseReadsThem() {
        let yaml = """
            stores:
              local: { kind: sqlite, legacy: /var/lib/legacy.sqlite, candidate: /var/lib/sister.sqlite }
              comments_db: { kind: postgres, legacy: "postgres://ro@db/app", candidate: "postgres://ro@sister/app" }
            routes:
              - route: POST /api/v1/comments
                mirror_writes: true
                verify:
                  stores:
                    - { store: local, query: "SELECT [note; v2] FROM comments WHERE id = ?", params: [$.id] }
                    - { store: comments_db, query: "SELECT [note; v2] FROM comments WHERE id = $1", params: [$.id] }
            """
        let error = #expect(throws: ConfigurationError.self) { try ConfigurationLoader.load(yaml: yaml, file: "d.yml") }
        #expect(error?.issues.count == 1, "\(error?.description ?? "")")
        #expect(error?.description.contains("routes[0].verify.stores[1].query: a second statement after ';' at character 13") == true, "\(error?.description ?? "")")
    }

    /// Found in review: a store's `postgres://` URL with a parameter the parser does not take was reported as "is not
    /// a PostgreSQL URL" (the parser's own message, prefixed "invalid ledger URL", was dropped), and only once the
    /// store checks started, under the key `stores`.
    @Test func aStoresConnectionMistakeSaysWhatIsWrongWithItsKeyAndLine() {
        let yaml = """
            stores:
              comments_db: { kind: postgres, legacy: "postgres://ro:hunter2@db/app?sslmode=bogus", candidate: "postgres://ro:hunter2@sister/app?connect_timeout=3" }
              other_db: { kind: postgres, legacy: "mysql://ro:hunter2@db/app", candidate: "postgres://ro@sister:99999/app" }
              cache: { kind: redis, legacy: "rediss://:hunter2@cache:6380", candidate: "redis://127.0.0.1:6379/0" }
            """
        let error = #expect(throws: ConfigurationError.self) { try ConfigurationLoader.load(yaml: yaml, file: "p.yml") }
        let text = error?.description ?? ""
        #expect(error?.issues.count == 5, "\(text)")
        #expect(text.contains("p.yml:2:42: stores.comments_db.legacy: postgres URL 'postgres://ro:***@db/app?sslmode=bogus': sslmode 'bogus' is not supported; use disable, prefer, require, verify-ca or verify-full"), "\(text)")
        #expect(text.contains("stores.comments_db.candidate: postgres URL 'postgres://ro:***@sister/app?connect_timeout=3': unknown parameter 'connect_timeout'; only 'sslmode' and 'sslrootcert' are supported"), "\(text)")
        #expect(text.contains("stores.other_db.legacy: 'mysql://***@db/app' is not a PostgreSQL URL; write postgres://user:password@host:5432/database"), "\(text)")
        #expect(text.contains("stores.other_db.candidate: postgres URL 'postgres://ro@sister:99999/app': port '99999' is not a number between 1 and 65535"), "\(text)")
        #expect(text.contains("stores.cache.legacy: 'rediss://"), "\(text)")
        #expect(!text.contains("hunter2"), "the password is never shown: \(text)")
        #expect(!text.contains("ledger"), "a store's URL is not the ledger's: \(text)")
    }

    @Test func storeCheckBudgetIsReadAndItsMistakesNameTheFix() throws {
        let defaults = try ConfigurationLoader.load(yaml: "", file: "empty.yml")
        #expect(defaults.storeChecks.sampleRate == 1.0 && defaults.storeChecks.maxPerSecond == 200)
        let set = try ConfigurationLoader.load(yaml: "stores_sample_rate: 0.25\nstores_max_per_second: 1000\n", file: "b.yml")
        #expect(set.storeChecks.sampleRate == 0.25 && set.storeChecks.maxPerSecond == 1000)
        let unlimited = try ConfigurationLoader.load(yaml: "stores_max_per_second: unlimited\n", file: "b.yml")
        #expect(unlimited.storeChecks.maxPerSecond == nil)
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "stores_sample_rate: 2\nstores_max_per_second: lots\n", file: "b.yml")
        }
        let text = error?.description ?? ""
        #expect(text.contains("b.yml:1:21: stores_sample_rate: 2 is outside 0…1; write a fraction, e.g. 0.05 for 5%"), "\(text)")
        #expect(text.contains("b.yml:2:24: stores_max_per_second: 'lots' is not a rate; write store checks per second (1…1000000), or unlimited"), "\(text)")
    }

    @Test func defaultsApplyToAnEmptyFile() throws {
        let c = try ConfigurationLoader.load(yaml: "", file: "empty.yml")
        #expect(c.sampleRate == 0.01)
        #expect(c.listen.port == 8080)
        #expect(c.shutdownGrace == .seconds(10))
        #expect(c.legacy == nil)
    }

    @Test func everyMistakeNamesFileLineKeyAndFix() {
        let yaml = """
            legacy: ftp://old
            sample_rate: 1.5
            mirror:
              timeout: 5 sec
              max_in_flite: 10
            routes:
              - route: GET api/v1
            """
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: yaml, file: "tap.yml")
        }
        let issues = error?.issues ?? []
        #expect(issues.count == 5)
        let text = error?.description ?? ""
        #expect(text.contains("tap.yml:1:9: legacy: 'ftp://old': expected http://host[:port][/path]"))
        #expect(text.contains("tap.yml:2:14: sample_rate: 1.5 is outside 0…1"))
        #expect(text.contains("tap.yml:4:12: mirror.timeout: '5 sec' is not a duration; write e.g. 250ms, 5s, 2m or 1h"))
        #expect(text.contains("tap.yml:5:3: mirror.max_in_flite: unknown key; did you mean 'max_in_flight'?"))
        #expect(text.contains("routes[0].route: invalid route template 'GET api/v1': the path must start with '/'"))
    }

    @Test func unknownTopLevelKeyIsRefused() {
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "legacy: http://a:1\nsample_rat: 0.5\n", file: "x.yml")
        }
        #expect(error?.description == "x.yml:2:1: sample_rat: unknown key; did you mean 'sample_rate'?")
    }

    @Test func invalidYAMLIsReportedWithItsPosition() {
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "legacy: [http://a\n", file: "bad.yml")
        }
        #expect(error?.description.hasPrefix("bad.yml:") == true)
        #expect(error?.description.contains("not valid YAML") == true)
    }

    @Test func aMissingFileIsAClearError() {
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(file: "/nonexistent/tap.yml")
        }
        #expect(error?.description.hasPrefix("/nonexistent/tap.yml: cannot read the file") == true)
    }

    @Test func flagsOverrideTheFileAndAreValidated() throws {
        let base = try ConfigurationLoader.load(yaml: "legacy: http://a:1\nsample_rate: 0.2\n", file: "f.yml")
        let c = try ConfigurationOverrides(candidate: "http://b:2", sampleRate: "0.5").apply(to: base, file: "f.yml")
        #expect(c.sampleRate == 0.5)
        #expect(c.candidate?.port == 2)
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationOverrides(legacy: "nope", sampleRate: "2").apply(to: base, file: "f.yml")
        }
        #expect(error?.description.contains("command line: --sample-rate: '2' is outside 0…1") == true)
        #expect(error?.description.contains("command line: --legacy: 'nope': expected http://host[:port][/path]") == true)
    }

    @Test func legacyIsRequiredAndAPublicAdminNeedsAToken() {
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationOverrides(admin: "0.0.0.0:9090").apply(to: ServeConfiguration(), file: nil)
        }
        let text = error?.description ?? ""
        #expect(text.contains("legacy: no legacy upstream"))
        #expect(text.contains("admin.token:"))
    }

    @Test func sampleKeyAndSizesParse() throws {
        let c = try ConfigurationLoader.load(
            yaml: "sample_key: header:X-User-Id\nmirror:\n  max_body_bytes: 64KiB\n  max_response_bytes: 2000\n",
            file: "f.yml"
        )
        #expect(c.sampleKey == .header("X-User-Id"))
        #expect(c.mirror.maxBodyBytes == 65_536)
        #expect(c.mirror.maxResponseBytes == 2000)
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.load(yaml: "sample_key: cookie:x\n", file: "f.yml") }
    }

    @Test func aBadLedgerURLNamesTheKeyAndNeverPrintsThePassword() {
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "ledger:\n  url: postgres://u:hunter2@db:99999/x\n", file: "f.yml")
        }
        let text = error?.description ?? ""
        #expect(text.hasPrefix("f.yml:2:8: ledger.url: "))
        #expect(!text.contains("hunter2"))
    }

    /// `ledger.writers`: batches written at once; out of range or not a number names the file, line and range.
    @Test func ledgerWritersIsReadAndItsMistakesNameTheKeyAndTheRange() throws {
        #expect(try ConfigurationLoader.load(yaml: "ledger:\n  writers: 6\n", file: "f.yml").ledger.writers == 6)
        #expect(try ConfigurationLoader.load(yaml: "ledger:\n  writers: 1\n", file: "f.yml").ledger.writers == 1)
        for (value, message) in [
            ("0", "f.yml:2:12: ledger.writers: 0 is out of range; use 1…6"),
            ("7", "f.yml:2:12: ledger.writers: 7 is out of range; use 1…6"),
            ("many", "f.yml:2:12: ledger.writers: expected a whole number, got 'many'"),
        ] {
            let error = #expect(throws: ConfigurationError.self) {
                try ConfigurationLoader.load(yaml: "ledger:\n  writers: \(value)\n", file: "f.yml")
            }
            #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
        }
    }

    static var repoRoot: String {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path
    }
}
