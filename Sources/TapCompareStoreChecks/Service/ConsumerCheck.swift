import Foundation
import Synchronization

/// Runs the user's `consumer_check:` command on one event: the event's JSON on standard input, exit status 0
/// means legacy's consumer can read it. Bounded: killed after the check's timeout, and only the first bytes of
/// what it writes to standard error are kept (as the finding's evidence).
///
/// The command runs in a child process, never on an event loop, and only for events the store check already
/// read, so it is off the request path like every store check.
struct ConsumerCheck: Sendable, Hashable {
    /// The program and its arguments, e.g. `["python3", "consumers/check_comment_event.py"]`.
    var command: [String]

    enum Verdict: Sendable, Equatable {
        case readable
        /// The exit status and the start of standard error.
        case unreadable(status: Int32, message: String)
        /// The command could not run or did not finish in time: no verdict.
        case failed(reason: String, message: String)
    }

    /// Bytes of standard error kept.
    static let maxMessageBytes = 512

    func run(event: String, timeout: Duration) async -> Verdict {
        let outcome = await ChildCommand(arguments: self.command).run(
            input: Array(event.utf8), timeout: timeout, keepingErrorBytes: Self.maxMessageBytes
        )
        switch outcome {
        case .notStarted:
            return .failed(reason: "consumer_check_failed", message: "cannot run \(self.command.joined(separator: " "))")
        case .timedOut:
            return .failed(reason: "consumer_check_timeout", message: "\(self.command.joined(separator: " ")) did not finish within \(timeout)")
        case .exited(status: 0, _):
            return .readable
        case .exited(let status, let standardError):
            return .unreadable(status: status, message: String(decoding: standardError, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}
