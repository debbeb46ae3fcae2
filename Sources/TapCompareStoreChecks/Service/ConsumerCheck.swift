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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = self.command
        let input = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        let status: Int32? = await withCheckedContinuation { (done: CheckedContinuation<Int32?, Never>) in
            let once = ResumeOnce(done)
            let resume: @Sendable (Int32?) -> Void = { once.resume($0) }
            process.terminationHandler = { resume($0.terminationStatus) }
            do {
                try process.run()
            } catch {
                resume(nil)
                return
            }
            // Our copy of the write end, so reading standard error ends when the child's does.
            try? errors.fileHandleForWriting.close()
            // The event, then end of input; a command that does not read it must not block us (pipe buffer).
            let data = Data(event.utf8)
            DispatchQueue.global().async {
                try? input.fileHandleForWriting.write(contentsOf: data)
                try? input.fileHandleForWriting.close()
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(timeout.components.seconds) * 1_000_000_000 + Int(timeout.components.attoseconds / 1_000_000_000))) {
                if process.isRunning {
                    process.terminate()
                    resume(-1)
                }
            }
        }
        guard let status else {
            return .failed(reason: "consumer_check_failed", message: "cannot run \(self.command.joined(separator: " "))")
        }
        if status == -1 {
            return .failed(reason: "consumer_check_timeout", message: "\(self.command.joined(separator: " ")) did not finish within \(timeout)")
        }
        if status == 0 { return .readable }
        let stderr = errors.fileHandleForReading.availableData.prefix(Self.maxMessageBytes)
        return .unreadable(status: status, message: String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// Resumes a continuation with the first value given (the process's exit or its timeout, whichever comes first).
private final class ResumeOnce: Sendable {
    private let continuation: Mutex<CheckedContinuation<Int32?, Never>?>

    init(_ continuation: CheckedContinuation<Int32?, Never>) {
        self.continuation = Mutex(continuation)
    }

    func resume(_ value: Int32?) {
        self.continuation.withLock { continuation in
            defer { continuation = nil }
            return continuation
        }?.resume(returning: value)
    }
}
