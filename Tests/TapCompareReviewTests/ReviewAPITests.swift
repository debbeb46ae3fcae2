import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import TapCompareLedger
import TapCompareTestSupport
import Testing
@testable import TapCompareReview

/// The UI and API routes in a real Hummingbird server on a free loopback port, over a seeded SQLite ledger.
@Suite(.timeLimit(.minutes(TestTiming.minutes(1)))) struct ReviewAPITests {
    final class Port: Sendable {
        let value = NIOLockedValueBoxInt()
    }

    /// Serves ``ReviewRoutes`` over the fixture for the duration of `body`.
    func withServer(
        cutover: CutoverPolicy = CutoverPolicy(),
        prepare: @escaping @Sendable (LedgerURL) async throws -> Void = { _ in },
        _ body: @escaping @Sendable (_ base: String, _ fixture: ReviewFixture) async throws -> Void
    ) async throws {
        try await ReviewFixture.withSQLite { fixture, source, url in
            try await prepare(url)
            let router = Router()
            // `all`: the fixture is in the past, the UI's default window is the last 24 h.
            ReviewRoutes(source: source, defaultSince: "all", cutover: cutover).install(on: router)
            let port = Port()
            let app = Application(
                router: router,
                configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { port.value.set($0.localAddress?.port ?? 0) },
                logger: Logger(label: "review-api-test")
            )
            let group = ServiceGroup(services: [app], logger: Logger(label: "review-api-test"))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await eventually("the review API bound its port") { port.value.get() != 0 }
                try await body("http://127.0.0.1:\(port.value.get())", fixture)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    @Test("learned noise reaches the UI: the overview answer carries it and the overview view renders it")
    func learnedNoiseInTheUI() async throws {
        let published = Date(timeIntervalSince1970: 1_795_000_000)
        try await self.withServer(prepare: { url in
            try await LedgerStores.withStore(url: url, logger: Logger(label: "review-api-test")) { store in
                try await store.publishNoiseModel(LedgerNoiseModel(
                    instance: "host-a:7", updatedAt: published, learning: true, minShare: 0.5, minSamples: 5, window: 10,
                    estimates: [
                        .init(route: ReviewFixture.commentRoute, field: "$.request_id", noisyIn: 10, samples: 10),
                        .init(route: ReviewFixture.commentRoute, field: "$.score", noisyIn: 2, samples: 10),
                    ]
                ))
            }
        }) { base, _ in
            let (status, text) = try await self.call(base + "/api/v1/overview")
            #expect(status == 200)
            let noise = try #require(try self.json(text)["learned_noise"] as? [String: Any])
            let fields = try #require(noise["fields"] as? [[String: Any]])
            #expect(fields.first?["field"] as? String == "$.request_id")
            #expect(fields.first?["classified_as_noise"] as? Bool == true)
            #expect((noise["models"] as? [[String: Any]])?.first?["min_share"] as? Double == 0.5)
            // The overview view renders it like the report's section.
            let script = try await self.head(base + "/ui/app.js").2
            #expect(script.contains("html += learnedNoise(ov.learned_noise);"))
            #expect(script.contains(#"<section id="learned-noise"><h2>Learned noise</h2>"#))
            #expect(script.contains("classified_as_noise"))
        }
    }

    func call(_ url: String, method: NIOHTTP1.HTTPMethod = .GET, body: String? = nil) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.body = .bytes(ByteBuffer(string: body))
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        let response = try await HTTPClient.shared.execute(request, timeout: TestTiming.scaled(.seconds(10)))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 4 << 20)))
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Percent-encodes a path segment as the UI's script does (`encodeURIComponent`).
    static func encoded(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()"))!
    }

    @Test func apiAnswersTheSeededFigures() async throws {
        try await self.withServer { base, fixture in
            let (status, text) = try await self.call(base + "/api/v1/overview")
            #expect(status == 200)
            let overview = try #require(try self.json(text)["overview"] as? [String: Any])
            #expect(overview["compared"] as? Int == 18)
            #expect(overview["regressed"] as? Int == 9)
            #expect(overview["mismatch_rate"] as? Double == 0.5)

            let routes = try #require(try self.json(try await self.call(base + "/api/v1/routes").1)["routes"] as? [[String: Any]])
            #expect(routes.map { $0["route"] as? String } == [ReviewFixture.postsRoute, ReviewFixture.commentRoute, ReviewFixture.createRoute])
            #expect(routes[1]["mismatch_rate"] as? Double == 0.3)

            let fieldsURL = base + "/api/v1/routes/\(Self.encoded(ReviewFixture.commentRoute))/fields"
            let (fs, fieldsText) = try await self.call(fieldsURL)
            #expect(fs == 200)
            let fields = try #require(try self.json(fieldsText)["fields"] as? [[String: Any]])
            #expect(fields.map { $0["field"] as? String } == ["$.score", "$.updated_at"])
            #expect(fields[0]["comparisons"] as? Int == 3)

            let examplesURL = base + "/api/v1/routes/\(Self.encoded(ReviewFixture.commentRoute))/fields/\(Self.encoded("$.score"))/examples?kind=value_changed&limit=5"
            let examples = try #require(try self.json(try await self.call(examplesURL).1)["examples"] as? [[String: Any]])
            #expect(examples.count == 3)
            #expect(examples.map { $0["candidate_value"] as? String } == ["1.28", "1.25", "1.22"])

            let id = fixture.scoreMismatchIDs[0].uuidString.lowercased()
            let (cs, comparisonText) = try await self.call(base + "/api/v1/comparisons/\(id)")
            #expect(cs == 200)
            let comparison = try self.json(comparisonText)
            #expect(comparison["id"] as? String == id)
            #expect((comparison["discrepancies"] as? [[String: Any]])?.first?["path"] as? String == "/score")

            #expect(try await self.call(base + "/api/v1/comparisons/\(UUID().uuidString)").0 == 404)
            #expect(try await self.call(base + "/api/v1/comparisons/not-a-uuid").0 == 400)
            let (bad, badText) = try await self.call(base + "/api/v1/overview?since=yesterday")
            #expect(bad == 400)
            #expect(try self.json(badText)["error"] as? String == "since='yesterday' is not a duration; write e.g. 1h, 24h, 7d (or all)")

            let report = try self.json(try await self.call(base + "/api/v1/report?run=\(fixture.runID)").1)
            #expect(report["schema_version"] as? Int == 1)
        }
    }

    @Test func markingAFieldAsNoiseStoresItAndOffersTheRule() async throws {
        try await self.withServer { base, _ in
            let body = #"{"route": "GET /api/v1/posts/{id}/comments", "field": "$.request_id", "kind": "value_changed", "classification": "noise", "created_by": "ann"}"#
            let (status, text) = try await self.call(base + "/api/v1/annotations", method: .POST, body: body)
            #expect(status == 201)
            let stored = try self.json(text)
            #expect(stored["field"] as? String == "$.request_id")
            #expect((stored["rule"] as? String)?.contains("ignore:\n      - \"$.request_id\"") == true)

            let list = try #require(try self.json(try await self.call(base + "/api/v1/annotations").1)["annotations"] as? [[String: Any]])
            #expect(list.count == 1)
            #expect(list.first?["created_by"] as? String == "ann")

            // The route's field list (what the UI draws the route view from) now carries the verdict, so the UI
            // shows the field as marked instead of offering the button.
            let fields = try #require(try self.json(try await self.call(base + "/api/v1/routes/\(Self.encoded(ReviewFixture.postsRoute))/fields").1)["fields"] as? [[String: Any]])
            #expect(fields.first { $0["field"] as? String == "$.request_id" }?["annotation"] as? String == "noise")
            #expect(fields.first { $0["field"] as? String == "$.comments[*].score" }?["annotation"] == nil)

            #expect(try await self.call(base + "/api/v1/annotations", method: .POST, body: "not json").0 == 400)
            #expect(try await self.call(base + "/api/v1/annotations", method: .POST, body: #"{"route":"r","field":"f","classification":"maybe"}"#).0 == 400)
        }
    }

    /// `GET /api/v1/problems`: the window's problems with their statuses (the UI's default view), and a status set
    /// with `POST /api/v1/problems/status` read back from it.
    @Test func problemsListTheWindowsSignaturesAndTheirStatusesRoundTrip() async throws {
        try await self.withServer { base, fixture in
            let (status, text) = try await self.call(base + "/api/v1/problems?run=\(fixture.runID)")
            #expect(status == 200, "\(text)")
            let answer = try self.json(text)
            let problems = try #require(answer["problems"] as? [[String: Any]])
            #expect(problems.count == SignatureTests.expected.count)
            #expect(problems.map { $0["field"] as? String } == SignatureTests.expected.map(\.field))
            #expect(problems.map { $0["shape"] as? String } == SignatureTests.expected.map(\.shape))
            #expect(problems[1]["share"] as? Double == 0.3)
            #expect((problems[1]["example_comparison_ids"] as? [String])?.count == 3)
            #expect(answer["truncated"] as? Bool == false)
            let counts = try #require(answer["counts"] as? [String: Any])
            #expect(counts["needing_review"] as? Int == 6 && counts["open"] as? Int == 6 && counts["accepted"] as? Int == 0)

            // The route filter and a bad window, as on every GET.
            let one = try self.json(try await self.call(base + "/api/v1/problems?route=\(Self.encoded(ReviewFixture.commentRoute))").1)
            #expect((one["problems"] as? [[String: Any]])?.map { $0["field"] as? String } == ["$.score"])
            let bad = try await self.call(base + "/api/v1/problems?since=yesterday")
            #expect(bad.0 == 400 && bad.1.contains("since='yesterday' is not a duration"))

            // Accepted, then fixed: each read back from the list, counted apart from the open ones.
            for next in ["accepted", "fixed"] {
                let body = #"{"route": "GET /api/v1/comments/{id}", "kind": "value_changed", "field": "$.score", "shape": "float changed", "status": "\#(next)", "set_by": "review UI"}"#
                let (posted, postedText) = try await self.call(base + "/api/v1/problems/status", method: .POST, body: body)
                #expect(posted == 200, "\(postedText)")
                let after = try self.json(try await self.call(base + "/api/v1/problems").1)
                let score = try #require((after["problems"] as? [[String: Any]])?.first { $0["field"] as? String == "$.score" })
                #expect(score["status"] as? String == next)
                #expect(score["fix_regressed"] as? Bool == false)
                let c = try #require(after["counts"] as? [String: Any])
                #expect(c["open"] as? Int == 5 && c[next] as? Int == 1 && c["needing_review"] as? Int == 5)
            }
            let wrong = try await self.call(base + "/api/v1/problems/status", method: .POST, body: #"{"route": "r", "kind": "k", "field": "f", "shape": "s", "status": "later"}"#)
            #expect(wrong.0 == 400 && wrong.1.contains("use open, accepted or fixed"))
        }
    }

    func head(_ url: String) async throws -> (Int, [String: String], String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: TestTiming.scaled(.seconds(10)))
        var headers: [String: String] = [:]
        for h in response.headers { headers[h.name.lowercased()] = h.value }
        return (Int(response.status.code), headers, String(buffer: try await response.body.collect(upTo: 4 << 20)))
    }

    /// `/ui` is a static shell: no ledger data in it, nothing from another origin, no inline script, a strict
    /// Content-Security-Policy; its script reads `/api/v1` and sends the bearer token.
    @Test func theUIIsAStaticShellOverTheAPI() async throws {
        try await self.withServer { base, _ in
            let (status, headers, shell) = try await self.head(base + "/ui")
            #expect(status == 200)
            #expect(headers["content-type"] == "text/html; charset=utf-8")
            #expect(headers["content-security-policy"]?.contains("script-src 'self'") == true)
            #expect(headers["content-security-policy"]?.contains("unsafe-inline") == false)
            #expect(shell.contains("<meta name=\"tapcompare-default-since\" content=\"all\">"))
            #expect(shell.contains("<script src=\"/ui/app.js\" defer></script>"))
            #expect(shell.contains("<link rel=\"stylesheet\" href=\"/ui/app.css\">"))
            #expect(!shell.contains("<script>") && !shell.contains("<style>"))
            #expect(!shell.contains("http://") && !shell.contains("https://"))
            #expect(!shell.contains(ReviewFixture.commentRoute), "the shell holds no ledger data")
            #expect(try await self.head(base + "/ui/").2 == shell)

            let (scriptStatus, scriptHeaders, script) = try await self.head(base + "/ui/app.js")
            #expect(scriptStatus == 200)
            #expect(scriptHeaders["content-type"] == "text/javascript; charset=utf-8")
            for call in ["/api/v1/problems?", "/api/v1/problems/status", "/api/v1/overview?", "/api/v1/routes?", "/fields?", "/api/v1/comparisons/", "/api/v1/annotations", "sessionStorage", "\"Bearer \""] {
                #expect(script.contains(call), "app.js should use \(call)")
            }
            #expect(!script.contains("http://") && !script.contains("https://"))

            let (cssStatus, cssHeaders, css) = try await self.head(base + "/ui/app.css")
            #expect(cssStatus == 200)
            #expect(cssHeaders["content-type"] == "text/css; charset=utf-8")
            #expect(css.contains(".card.hero") && css.contains(".token-form"))
            #expect(!css.contains("url(") && !css.contains("@import"))

            // What is served is the asset files as written (Sources/TapCompareReview/Assets), compiled in.
            let assets = Paths.repository + "/Sources/TapCompareReview/Assets/"
            func asset(_ name: String) throws -> String { try String(contentsOfFile: assets + name, encoding: .utf8) }
            #expect(css == (try asset("report.css")) + "\n" + (try asset("ui.css")))
            #expect(shell == (try asset("ui-shell.html")).replacingOccurrences(of: "{{default-since}}", with: "all"))
            let parts = try FileManager.default.contentsOfDirectory(atPath: assets).filter { $0.hasSuffix(".js") }
            #expect(parts.count == 9)
            for part in parts { #expect(script.contains(try asset(part)), "app.js carries \(part)") }
            // And it is JavaScript a browser will run: node parses it (scripts/test.sh installs nodejs).
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("tapcompare-app-\(UUID().uuidString).js")
            try script.write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            _ = try await runProcess(["node", "--check", file.path])

            // The server-rendered pages are gone; old links answer 404 rather than a stale page.
            #expect(try await self.call(base + "/ui/route?route=x").0 == 404)
        }
    }
}

/// A port published by the server's start-up callback.
final class NIOLockedValueBoxInt: Sendable {
    private let box = NIOLockedValueBox(0)
    func get() -> Int { self.box.withLockedValue { $0 } }
    func set(_ v: Int) { self.box.withLockedValue { $0 = v } }
}
