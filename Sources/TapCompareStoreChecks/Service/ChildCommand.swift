import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A command run in a child process started with `posix_spawn`: its standard input fed from memory, its standard
/// output discarded, the first bytes of its standard error kept, and it killed at a deadline.
///
/// Not Foundation's `Process`: in Swift 6.3 its `run()` reads `/proc/self/fd` and copies 256 bytes from each entry
/// whatever its length (swift-corelibs-foundation#5472), past the end of glibc's buffer once the listing fills it,
/// so `tapcompare serve` holding more than about a thousand descriptors (client connections) could crash starting a
/// check. Here nothing lists descriptors: the child closes every one from 3 up before it runs the command.
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
        var toChild: [Int32] = [-1, -1]
        var fromChild: [Int32] = [-1, -1]
        guard Self.makePipe(&toChild) else { return .notStarted(errno: errno) }
        guard Self.makePipe(&fromChild) else {
            let error = errno
            close(toChild[0])
            close(toChild[1])
            return .notStarted(errno: error)
        }
        let spawned = Self.spawn(["/usr/bin/env"] + self.arguments, stdin: toChild[0], stderr: fromChild[1])
        // The child has its copies (or never started).
        close(toChild[0])
        close(fromChild[1])
        let pid: pid_t
        switch spawned {
        case .success(let child):
            pid = child
        case .failure(let error):
            close(toChild[1])
            close(fromChild[0])
            return .notStarted(errno: error.errno)
        }
        let stdin = toChild[1]
        let stderr = fromChild[0]

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
                let code = Self.exitCode(status)
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

    /// The child's exit status as a shell reports it.
    static func exitCode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// `posix_spawn` of `arguments` with the given standard input and error, standard output to `/dev/null`, every
    /// other descriptor closed, and the signal mask and dispositions reset.
    private static func spawn(_ arguments: [String], stdin: Int32, stderr: Int32) -> Result<pid_t, SpawnError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
        return result == 0 ? .success(pid) : .failure(SpawnError(errno: result))
    }

    struct SpawnError: Error { var errno: Int32 }

    /// Set once, before the first write to a child: writing to a pipe whose reader is gone must fail, not end
    /// this process. The child gets the default back (`POSIX_SPAWN_SETSIGDEF`).
    private static let ignoringSIGPIPE: Void = {
        _ = signal(SIGPIPE, SIG_IGN)
    }()

    /// A pipe whose ends are closed on exec (the child gets copies only where `spawn` puts them).
    private static func makePipe(_ ends: inout [Int32]) -> Bool {
        guard pipe(&ends) == 0 else { return false }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return true
    }

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34+), looked up at run time: Swift's Glibc module does
    /// not declare it. Without it the child still gets no descriptor but its three, as long as every other one is
    /// close-on-exec (NIO's sockets and SQLite's files are).
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
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
