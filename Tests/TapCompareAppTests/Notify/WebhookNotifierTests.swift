import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOHTTP1
import TapCompareTestSupport
import Testing
@testable import TapCompareApp
@testable import TapCompareReview

@Suite("Webhook notifications", .timeLimit(.minutes(TestTiming.minutes(1))))
struct WebhookNotifierTests {
    static func problem(_ field: String, route: String = "GET /api/v1/comments/{id}", fixRegressed: Bool = false) -> ProblemSignature {
        ProblemSignature(
            id: SignatureGrouper.id(route: route, kind: "type_changed", field: field, shape: "int→string"), route: route,
            kind: "type_changed", field: field, shape: "int→string", firstSeen: nil, lastSeen: nil, occurrences: 3,
            comparisons: 3, share: 0.1, exampleComparisonIds: [], status: fixRegressed ? "fixed" : "open", fixRegressed: fixRegressed
        )
    }

    static func verdict(_ route: String, compared: Int, regressed: Int) -> RouteVerdict {
        VerdictJudge.judge(.init(route: route, compared: compared, regressed: regressed), policy: CutoverPolicy())
    }

    @Test("the first look is a baseline; later looks tell new problems, returning fixes and routes that became ready, once each")
    func changes() {
        let a = Self.problem("$.score")
        let first = NotificationState.changes(from: nil, problems: [a], verdicts: [Self.verdict("GET /x", compared: 10, regressed: 0)], at: Date())
        #expect(first.messages.isEmpty, "what was there at start-up is not news")
        let b = Self.problem("$.body")
        let ready = Self.verdict("GET /x", compared: 5_000, regressed: 0)
        #expect(ready.status == .ready)
        let second = NotificationState.changes(from: first.state, problems: [a, b, Self.problem("$.id", fixRegressed: true)], verdicts: [ready], at: Date())
        #expect(second.messages.map { "\($0.event.rawValue) \($0.problem?.field ?? $0.route)" } == [
            "new_problem $.body", "new_problem $.id", "fix_regressed $.id", "route_ready GET /x",
        ])
        let third = NotificationState.changes(from: second.state, problems: [a, b, Self.problem("$.id", fixRegressed: true)], verdicts: [ready], at: Date())
        #expect(third.messages.isEmpty, "nothing changed, nothing said")
    }


    @Test("a receiver sees exactly the expected messages; a receiver that is down costs only its messages, counted")
    func receiver() async throws {
        let receiver = try await ScriptedUpstream { _ in .respond(ScriptedResponse(status: 204, reason: "No Content", body: "")) }
        defer { Task { try await receiver.shutdown() } }
        let problems = NIOLockedValueBox([Self.problem("$.score")])
        var configuration = NotifyConfiguration()
        configuration.webhook = receiver.url + "/hooks/tapcompare"
        configuration.retries = 0
        configuration.timeout = TestTiming.scaled(.seconds(2))
        let notifier = try #require(WebhookNotifier(configuration: configuration, logger: Logger(label: "test")) { _, _ in
            .init(problems: problems.withLockedValue { $0 }, verdicts: [])
        })
        #expect(await notifier.look().isEmpty)
        problems.withLockedValue { $0.append(Self.problem("$.body")) }
        let sent = await notifier.look()
        #expect(sent.map(\.event) == [.newProblem])
        let requests = receiver.requests
        #expect(requests.count == 1)
        let request = try #require(requests.first)
        #expect(request.head.method == .POST)
        #expect(request.head.uri == "/hooks/tapcompare")
        #expect(request.head.headers["content-type"] == ["application/json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
        #expect(json["event"] as? String == "new_problem")
        #expect((json["problem"] as? [String: Any])?["field"] as? String == "$.body")
        #expect((json["text"] as? String)?.contains("$.body type_changed (int→string)") == true)

        // Down: the look still completes, the message is counted as failed, nothing else is affected.
        var down = configuration
        down.webhook = "http://127.0.0.1:\(try await ScriptedUpstream.refusingPort())/hooks"
        let unreachable = try #require(WebhookNotifier(configuration: down, logger: Logger(label: "test")) { _, _ in
            .init(problems: problems.withLockedValue { $0 }, verdicts: [])
        })
        _ = await unreachable.look()
        problems.withLockedValue { $0.append(Self.problem("$.id")) }
        #expect(await unreachable.post(Notification(event: .newProblem, route: "r", text: "t", problem: nil, verdict: nil, at: Date())) == false)
        #expect(await unreachable.look().map(\.event) == [.newProblem], "the change is still found and its post attempted")
    }

    @Test("notify: is read, documented keys only, and a bad webhook names the key")
    func configuration() throws {
        let c = try ConfigurationLoader.load(yaml: "notify:\n  webhook: https://hooks.example.test/t/abc\n  interval: 30s\n  max_messages: 5\n", file: "n.yml")
        #expect(c.notify.webhook == "https://hooks.example.test/t/abc")
        #expect(c.notify.interval == .seconds(30) && c.notify.maxMessages == 5 && c.notify.retries == 3)
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: "notify:\n  webhook: ftp://x\n  retrys: 2\n", file: "n.yml")
        }
        #expect(error?.description.contains("notify.webhook") == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("notify.retrys: unknown key; did you mean 'retries'?") == true, "\(error?.description ?? "")")
    }
}
