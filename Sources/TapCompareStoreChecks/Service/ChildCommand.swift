import Dispatch
import Synchronization
import TapCompareCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A command run in a child process started with `posix_spawn`: its standard input fed from memory, its standard
/// output discarded, the first bytes of its standard error kept, and it killed at a deadline.
///
/// Started by ``ChildSpawn`` (`posix_spawn`), not Foundation's `Process`, which can crash a process holding more
/// than about a thousand descriptors, as `tapcompare serve` with its client connections does.
struct ChildCommand: Sendable {
    /// The program and its arguments, looked up on `PATH` (through `/usr/bin/env`).
    var arguments: [String]

    enum Outcome: Sendable, Equatable {
        /// The command ran and exited with `status` (128 + n when a signal n ended it), with the start of its
        /// standard error.
        case exited(status: Int32, standardError: [UInt8])
        /// Still running at the deadline: killed.
        case timedOut
        /// It could not be started (`errno` of the call that failed).
        case notStarted(errno: Int32)
    }

    /// Runs the command to its end or to `timeout`, whichever comes first. Waits on dispatch threads, never on a
    /// cooperative one.
    func run(input: [UInt8], timeout: Duration, keepingErrorBytes maxErrorBytes: Int) async -> Outcome {
        guard let toChild = ChildSpawn.makePipe() else { return .notStarted(errno: errno) }
        guard let fromChild = ChildSpawn.makePipe() else {
            let error = errno
            close(toChild.read)
            close(toChild.write)
            return .notStarted(errno: error)
        }
        let spawned = ChildSpawn.spawn(
            ["/usr/bin/env"] + self.arguments, standardInput: .descriptor(toChild.read), standardError: .descriptor(fromChild.write)
        )
        // The child has its copies (or never started).
        close(toChild.read)
        close(fromChild.write)
        let pid: pid_t
        switch spawned {
        case .success(let child):
            pid = child
        case .failure(let error):
            close(toChild.write)
            close(fromChild.read)
            return .notStarted(errno: error.errno)
        }
        let stdin = toChild.write
        let stderr = fromChild.read

        // The input, written on its own thread: a command that does not read it must not block anyone (the pipe
        // holds 64 KiB). SIGPIPE is ignored in this process (as NIO ignores it once it opens a socket), so a
        // command that exits first only ends the write with EPIPE.
        _ = Self.ignoringSIGPIPE
        DispatchQueue.global().async {
            input.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let n = write(stdin, bytes.baseAddress! + offset, bytes.count - offset)
                    if n > 0 {
                        offset += n
                    } else if n < 0 && errno == EINTR {
                        continue
                    } else {
                        break
                    }
                }
            }
            close(stdin)
        }

        let state = SupervisionState()
        return await withCheckedContinuation { (done: CheckedContinuation<Outcome, Never>) in
            // Standard error, read as it comes (a command writing more than the pipe holds must not stall), the
            // first `maxErrorBytes` kept; ends at end of file, or once the command is gone and nothing is pending.
            DispatchQueue.global().async {
                var kept: [UInt8] = []
                var chunk = [UInt8](repeating: 0, count: 4096)
                while true {
                    var poller = pollfd(fd: stderr, events: Int16(POLLIN), revents: 0)
                    let ready = poll(&poller, 1, 50)
                    if ready < 0 && errno == EINTR { continue }
                    if ready == 0 {
                        // Nothing to read: a grandchild may hold the pipe open; stop once the command ended.
                        if state.mutex.withLock({ $0.ended }) { break }
                        continue
                    }
                    let n = chunk.withUnsafeMutableBytes { read(stderr, $0.baseAddress!, $0.count) }
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    if kept.count < maxErrorBytes { kept += chunk[0..<min(n, maxErrorBytes - kept.count)] }
                }
                close(stderr)
                state.mutex.withLock { $0.standardError = kept }
                let outcome = state.mutex.withLock { $0.finish(readerDone: true) }
                if let outcome { done.resume(returning: outcome) }
            }
            // The exit: waited for without reaping first, so the deadline below can never signal a reused pid.
            DispatchQueue.global().async {
                var info = siginfo_t()
                while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
                state.mutex.withLock { $0.ended = true }
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                let code = ChildSpawn.exitCode(status)
                let outcome = state.mutex.withLock { $0.finish(exitStatus: code) }
                if let outcome { done.resume(returning: outcome) }
            }
            let nanoseconds = Int(timeout.components.seconds) * 1_000_000_000 + Int(timeout.components.attoseconds / 1_000_000_000)
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(max(0, nanoseconds))) {
                let outcome: Outcome? = state.mutex.withLock { supervision in
                    guard !supervision.ended else { return nil }
                    kill(pid, SIGKILL)
                    return supervision.finish(timedOut: true)
                }
                if let outcome { done.resume(returning: outcome) }
            }
        }
    }

    /// Set once, before the first write to a child: writing to a pipe whose reader is gone must fail, not end
    /// this process. The child gets the default back (`POSIX_SPAWN_SETSIGDEF`).
    private static let ignoringSIGPIPE: Void = {
        _ = signal(SIGPIPE, SIG_IGN)
    }()
}

private final class SupervisionState: Sendable {
    let mutex = Mutex(Supervision())
}

/// What the three threads of one ``ChildCommand/run(input:timeout:keepingErrorBytes:)`` share: the outcome is
/// given once, when the exit (or the deadline) and the end of standard error are both in.
private struct Supervision {
    var ended = false
    var standardError: [UInt8] = []
    private var exitStatus: Int32?
    private var timedOut = false
    private var readerDone = false
    private var given = false

    mutating func finish(exitStatus: Int32? = nil, timedOut: Bool = false, readerDone: Bool = false) -> ChildCommand.Outcome? {
        if let exitStatus { self.exitStatus = exitStatus }
        if timedOut { self.timedOut = true }
        if readerDone { self.readerDone = true }
        guard !self.given else { return nil }
        if self.timedOut {
            self.given = true
            return .timedOut
        }
        guard let status = self.exitStatus, self.readerDone else { return nil }
        self.given = true
        return .exited(status: status, standardError: self.standardError)
    }
}
