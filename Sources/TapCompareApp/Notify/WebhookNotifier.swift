import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import TapCompareLedger
import TapCompareReview

/// Posts a JSON ``Notification`` to `notify.webhook` when a new problem appears, when a problem marked `fixed`
/// comes back, and when a route becomes ready to switch (issue 19).
///
/// Off the request path entirely: it reads the ledger every `notify.interval` (the same report and verdicts as
/// `tapcompare report` and `tapcompare verdict`), compares with its previous look, and posts what changed. Bounded:
/// at most `notify.max_messages` per look (the rest dropped and counted), each post within `notify.timeout`,
/// retried `notify.retries` times with backoff; every outcome counted in
/// `tapcompare_notifications_total{event,result}` (`sent`, `failed`, `dropped`). A receiver that is down costs
/// nothing but its own messages.
public final class WebhookNotifier: Service, Sendable {
    public let configuration: NotifyConfiguration
    let webhook: String
    /// What is wrong and what is ready over a window: the ledger's problems and verdicts, read as
    /// `tapcompare report` and `tapcompare verdict` read them.
    let judge: @Sendable (ReportQuery, Date) async throws -> Judgement
    let logger: Logger
    private let state = NIOLockedValueBox<NotificationState?>(nil)

    public static let metric = "tapcompare_notifications_total"

    /// - Returns: `nil` when no webhook is configured.
    /// The problems and verdicts of one look.
    public struct Judgement: Sendable {
        public var problems: [ProblemSignature]
        public var verdicts: [RouteVerdict]
        public init(problems: [ProblemSignature], verdicts: [RouteVerdict]) {
            self.problems = problems
            self.verdicts = verdicts
        }
    }

    /// The judgement of a ledger's report source under a cut-over policy (what `serve` wires).
    public static func judging(_ source: any ReportSource, policy: CutoverPolicy) -> @Sendable (ReportQuery, Date) async throws -> Judgement {
        { query, now in
            let report = try await source.report(query)
            return Judgement(problems: report.problems, verdicts: VerdictAssembler.assemble(report, policy: policy, now: now).routes)
        }
    }

    public init?(configuration: NotifyConfiguration, logger: Logger, judge: @escaping @Sendable (ReportQuery, Date) async throws -> Judgement) {
        guard let webhook = configuration.webhook else { return nil }
        self.configuration = configuration
        self.webhook = webhook
        self.judge = judge
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                _ = await self.look()
                try? await Task.sleep(for: self.configuration.interval)
            }
        }
    }

    /// One look at the ledger: the messages it posted (or tried to). Public for tests and a manual check.
    @discardableResult
    public func look(now: Date = Date()) async -> [Notification] {
        let judgement: Judgement
        do {
            judgement = try await self.judge(ReportQuery(from: now.addingTimeInterval(-Self.seconds(self.configuration.window))), now)
        } catch {
            self.logger.info("notify: the ledger could not be read; trying again next interval", metadata: ["notify.error": "\(error)"])
            return []
        }
        let previous = self.state.withLockedValue { $0 }
        let (current, messages) = NotificationState.changes(from: previous, problems: judgement.problems, verdicts: judgement.verdicts, at: now)
        self.state.withLockedValue { $0 = current }
        for (index, message) in messages.enumerated() {
            guard index < self.configuration.maxMessages else {
                Self.count(message.event, "dropped")
                continue
            }
            Self.count(message.event, await self.post(message) ? "sent" : "failed")
        }
        return messages
    }

    /// Posts one message, retrying with backoff; `false` when every attempt failed.
    func post(_ message: Notification) async -> Bool {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let body = try? encoder.encode(message) else { return false }
        var delay: Duration = .seconds(1)
        for attempt in 0...max(0, self.configuration.retries) {
            if attempt > 0 {
                try? await Task.sleep(for: delay)
                delay *= 2
            }
            var request = HTTPClientRequest(url: self.webhook)
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            request.headers.add(name: "user-agent", value: "tapcompare-notify")
            request.body = .bytes(ByteBuffer(bytes: body))
            do {
                // The process-wide client: a few posts a minute need no pool of their own, and it needs no
                // shutdown (a notifier that was built but never run must not crash the process on release).
                let response = try await HTTPClient.shared.execute(request, timeout: TimeAmount(self.configuration.timeout))
                _ = try? await response.body.collect(upTo: 64 << 10)
                if (200..<300).contains(Int(response.status.code)) { return true }
            } catch {
                continue
            }
        }
        self.logger.warning("notify: a message could not be posted", metadata: ["notify.event": "\(message.event.rawValue)", "notify.route": "\(message.route)"])
        return false
    }

    static func count(_ event: Notification.Event, _ result: String) {
        Counter(label: Self.metric, dimensions: [("event", event.rawValue), ("result", result)]).increment()
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
