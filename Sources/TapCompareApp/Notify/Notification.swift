import Foundation
import TapCompareReview

/// One webhook message: what changed, about which route, and the evidence a reader needs to act.
public struct Notification: Sendable, Codable, Hashable {
    public enum Event: String, Sendable, Codable, CaseIterable {
        /// A problem (a regression signature) not seen in the previous look.
        case newProblem = "new_problem"
        /// A problem a reviewer marked `fixed` is seen again.
        case fixRegressed = "fix_regressed"
        /// A route's verdict became `ready`.
        case routeReady = "route_ready"
    }

    public var event: Event
    public var route: String
    /// A one-line summary for chat tools.
    public var text: String
    public var problem: ProblemSignature?
    public var verdict: RouteVerdict?
    public var at: Date
}

/// What one look at the ledger showed, kept to find what changed by the next one.
struct NotificationState: Sendable, Equatable {
    var problems: Set<String> = []
    var regressedFixes: Set<String> = []
    var readyRoutes: Set<String> = []

    init() {}

    init(problems: [ProblemSignature], verdicts: [RouteVerdict]) {
        self.problems = Set(problems.map(\.id))
        self.regressedFixes = Set(problems.filter(\.fixRegressed).map(\.id))
        self.readyRoutes = Set(verdicts.filter { $0.status == .ready }.map(\.route))
    }

    /// The messages from `previous` to this look (pure: tested without I/O). The first look is a baseline and
    /// says nothing: what was already there when TapCompare started is not news.
    static func changes(
        from previous: NotificationState?, problems: [ProblemSignature], verdicts: [RouteVerdict], at: Date
    ) -> (state: NotificationState, messages: [Notification]) {
        let current = NotificationState(problems: problems, verdicts: verdicts)
        guard let previous else { return (current, []) }
        var messages: [Notification] = []
        for problem in problems where !previous.problems.contains(problem.id) {
            messages.append(Notification(
                event: .newProblem, route: problem.route,
                text: "new problem on \(problem.route): \(problem.field) \(problem.kind) (\(problem.shape)), \(problem.comparisons) comparisons",
                problem: problem, verdict: nil, at: at
            ))
        }
        for problem in problems where problem.fixRegressed && !previous.regressedFixes.contains(problem.id) {
            messages.append(Notification(
                event: .fixRegressed, route: problem.route,
                text: "a fixed problem is back on \(problem.route): \(problem.field) \(problem.kind) (\(problem.shape))",
                problem: problem, verdict: nil, at: at
            ))
        }
        for verdict in verdicts where verdict.status == .ready && !previous.readyRoutes.contains(verdict.route) {
            messages.append(Notification(
                event: .routeReady, route: verdict.route, text: "\(verdict.route) is ready to switch", problem: nil, verdict: verdict, at: at
            ))
        }
        return (current, messages)
    }
}
