#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts a child process with `posix_spawn`: its three standard streams set as asked, every other descriptor
/// closed, the signal mask and dispositions reset. The one place a process of ours starts another.
///
/// Not Foundation's `Process`: in Swift 6.3 its `run()` reads `/proc/self/fd` and copies 256 bytes from each entry
/// whatever its length (swift-corelibs-foundation#5472), past the end of glibc's buffer once the listing fills it.
/// A process holding more than about a thousand descriptors (a proxy's client connections, a test process's
/// sockets) could crash starting a child. Nothing here lists descriptors.
public enum ChildSpawn {
    /// Where one of the child's standard streams goes.
    public enum Stream: Sendable, Equatable {
        /// `/dev/null`.
        case nullDevice
        /// A copy of this process's descriptor (which stays open here; close it once the child is started).
        case descriptor(Int32)
        /// A file opened for the child: created, or truncated if it exists (output), or read (input).
        case file(String)
        /// Standard error only: wherever standard output goes.
        case standardOutput
    }

    /// Why the child did not start: the `errno` of the call that failed.
    public struct Failure: Error, Sendable, Equatable {
        public var errno: Int32
        public init(errno: Int32) { self.errno = errno }
    }

    /// Starts `arguments[0]` (a path; nothing is looked up on `PATH`) with `arguments` as its argv and this
    /// process's environment.
    public static func spawn(
        _ arguments: [String], standardInput: Stream = .nullDevice, standardOutput: Stream = .nullDevice, standardError: Stream = .nullDevice
    ) -> Result<pid_t, Failure> {
        precondition(!arguments.isEmpty, "a child needs a program")
        precondition(standardInput != .standardOutput && standardOutput != .standardOutput, "only standard error can follow standard output")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        Self.add(standardInput, as: 0, to: &actions)
        Self.add(standardOutput, as: 1, to: &actions)
        Self.add(standardError, as: 2, to: &actions)
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
        return result == 0 ? .success(pid) : .failure(Failure(errno: result))
    }

    /// A `waitpid` status as a shell reports it: the exit code, or 128 + n when signal n ended the child.
    public static func exitCode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// A pipe whose ends are closed on exec: a child gets copies only where ``spawn(_:standardInput:standardOutput:standardError:)``
    /// puts them.
    public static func makePipe() -> (read: Int32, write: Int32)? {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return nil }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return (ends[0], ends[1])
    }

    private static func add(_ stream: Stream, as target: Int32, to actions: inout posix_spawn_file_actions_t) {
        switch stream {
        case .nullDevice:
            posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
        case .descriptor(let descriptor):
            posix_spawn_file_actions_adddup2(&actions, descriptor, target)
        case .file(let path):
            let flags = target == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC
            posix_spawn_file_actions_addopen(&actions, target, path, flags, 0o644)
        case .standardOutput:
            posix_spawn_file_actions_adddup2(&actions, 1, target)
        }
    }

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34+), looked up at run time: Swift's Glibc module does
    /// not declare it. Without it the child still gets no descriptor but its three, as long as every other one is
    /// close-on-exec (NIO's sockets, SQLite's files and ``makePipe()``'s ends are).
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()
}
