import Foundation
import Synchronization
import TapCompareCore

/// A program a test runs in a child process, started by ``ChildSpawn`` (`posix_spawn`).
///
/// Never Foundation's `Process` in the test process: its `run()` lists `/proc/self/fd` and can crash once this
/// process holds more than about a thousand descriptors (swift-corelibs-foundation#5472), which the parallel
/// tests' sockets reach (a CI run died that way in `Process.run`).
///
/// Output goes to files, not pipes: `pg_ctl start` leaves a server running that would hold a pipe open forever,
/// and a file needs no reader while the child runs.
public final class SpawnedProcess: Sendable {
    public let pid: pid_t
    /// The exit code once this process has reaped the child: until then `pid` is the child's and may be signalled.
    private let exitCode = Mutex<Int32?>(nil)

    private init(pid: pid_t) { self.pid = pid }

    /// Starts `arguments` (the program looked up on `PATH` by `/usr/bin/env`), in `directory` if given, standard
    /// input from `/dev/null`.
    public static func start(
        _ arguments: [String], in directory: String? = nil,
        standardOutput: ChildSpawn.Stream = .nullDevice, standardError: ChildSpawn.Stream = .nullDevice
    ) throws -> SpawnedProcess {
        let env = ["/usr/bin/env"] + (directory.map { ["--chdir=" + $0] } ?? [])
        switch ChildSpawn.spawn(env + arguments, standardOutput: standardOutput, standardError: standardError) {
        case .success(let pid):
            return SpawnedProcess(pid: pid)
        case .failure(let failure):
            throw TestSetupError("\(arguments.joined(separator: " ")) did not start: \(String(cString: strerror(failure.errno)))")
        }
    }

    /// Whether the child has not exited yet (reaps it if it has).
    public var isRunning: Bool { self.reap() == nil }

    /// Sends `signal`, unless the child is already reaped (its pid could belong to another process by now).
    public func signal(_ signal: Int32) {
        self.exitCode.withLock { code in
            if code == nil { _ = Glibc.kill(self.pid, signal) }
        }
    }

    /// SIGKILL, with the exit reaped in the background: no zombie is left behind by a child nobody waits for.
    public func kill() {
        self.signal(SIGKILL)
        Task { _ = try? await self.waitForExit() }
    }

    /// SIGINT, as Ctrl-C sends it.
    public func interrupt() { self.signal(SIGINT) }

    /// Waits for the child to exit and returns its exit code (128 + n when signal n ended it). Polls `waitpid`:
    /// it never blocks a thread of the concurrency pool, and a cancelled test stops waiting.
    public func waitForExit() async throws -> Int32 {
        while true {
            if let code = self.reap() { return code }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The same, blocking the calling thread: only for a synchronous context (a trait's condition) and a child
    /// that ends within moments.
    public func waitUntilExit() -> Int32 {
        while true {
            if let code = self.reap() { return code }
            usleep(1_000)
        }
    }

    private func reap() -> Int32? {
        self.exitCode.withLock { code in
            if let code { return code }
            var status: Int32 = 0
            let result = waitpid(self.pid, &status, WNOHANG)
            if result == self.pid {
                code = ChildSpawn.exitCode(status)
            } else if result < 0 && errno == ECHILD {
                // Not ours to wait for any more (nothing else here reaps children): report it gone.
                code = -1
            }
            return code
        }
    }
}

/// What a finished program printed.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String
}

/// Runs a program to its end without blocking a thread of the concurrency pool and returns its exit status and
/// output. Standard error goes to its own file unless `mergingErrors`, when both streams share one. `started` runs
/// once the child is running (to signal it, say); a cancelled wait kills the child.
public func runToEnd(
    _ arguments: [String], in directory: String? = nil, mergingErrors: Bool = false,
    started: (SpawnedProcess) -> Void = { _ in }
) async throws -> ProcessOutput {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("tapcompare-run-\(UUID().uuidString)").path
    let outPath = base + ".out"
    let errPath = base + ".err"
    defer {
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
    }
    let child = try SpawnedProcess.start(
        arguments, in: directory, standardOutput: .file(outPath), standardError: mergingErrors ? .standardOutput : .file(errPath)
    )
    started(child)
    let status: Int32
    do {
        status = try await child.waitForExit()
    } catch {
        child.kill()
        throw error
    }
    return ProcessOutput(
        status: status,
        standardOutput: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
        standardError: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    )
}

/// Runs a program to completion and returns its standard output.
/// - Throws: ``TestSetupError`` with its standard error when it exits non-zero.
@discardableResult
public func runProcess(_ arguments: [String]) async throws -> String {
    let output = try await runToEnd(arguments)
    guard output.status == 0 else {
        throw TestSetupError("\(arguments.joined(separator: " ")) exited \(output.status): \(output.standardError)")
    }
    return output.standardOutput
}
