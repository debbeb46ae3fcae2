import Foundation
import Testing
import TapCompareCore

/// Children started by `ChildSpawn` (store checks' commands, the tests' servers): they must start whatever this
/// process holds, get exactly the streams asked for, and report their end as a shell does.
@Suite("Child spawn")
struct ChildSpawnTests {
    /// Room for 2,000 more descriptors: the soft limit raised to 4,000 if the hard limit allows it (only ever
    /// raised, so the other tests running meanwhile keep theirs).
    static let roomForManyDescriptors: Bool = {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_max >= 4_000 else { return false }
        if limit.rlim_cur < 4_000 {
            limit.rlim_cur = 4_000
            return setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0
        }
        return true
    }()

    @Test(
        "a child starts while this process holds 2,000 more descriptors, and inherits none of them",
        .enabled(if: Self.roomForManyDescriptors, "needs a hard descriptor limit of 4,000")
    )
    func startsWithManyDescriptorsOpen() throws {
        // Inheritable on purpose (no close-on-exec): only the spawn's own closing keeps them from the child.
        let held = (0..<2_000).map { _ in open("/dev/null", O_RDONLY) }
        defer { for descriptor in held where descriptor >= 0 { close(descriptor) } }
        #expect(held.allSatisfy { $0 >= 0 })
        let output = try Self.temporaryPath("fd")
        let pid = try ChildSpawn.spawn(["/bin/sh", "-c", "ls /proc/self/fd"], standardOutput: .file(output)).get()
        #expect(Self.wait(pid) == 0)
        // 0, 1, 2, and the descriptor `ls` opens to read the directory.
        let listing = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
        #expect(listing == ["0", "1", "2", "3"])
    }

    @Test("standard input from a file, standard error following standard output into another")
    func streams() throws {
        let input = try Self.temporaryPath("in")
        try "from the file\n".write(toFile: input, atomically: true, encoding: .utf8)
        let output = try Self.temporaryPath("out")
        let pid = try ChildSpawn.spawn(
            ["/bin/sh", "-c", "cat; echo to-stderr >&2"], standardInput: .file(input), standardOutput: .file(output), standardError: .standardOutput
        ).get()
        #expect(Self.wait(pid) == 0)
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "from the file\nto-stderr\n")
    }

    @Test("a pipe's read end gets what the child writes; the exit code and a signal's 128 + n come back")
    func pipeAndExitCodes() throws {
        let pipe = try #require(ChildSpawn.makePipe())
        let pid = try ChildSpawn.spawn(["/bin/sh", "-c", "printf hello; exit 7"], standardOutput: .descriptor(pipe.write)).get()
        close(pipe.write)
        var bytes = [UInt8](repeating: 0, count: 64)
        var received: [UInt8] = []
        while true {
            let n = bytes.withUnsafeMutableBytes { read(pipe.read, $0.baseAddress!, $0.count) }
            if n <= 0 { break }
            received += bytes[0..<n]
        }
        close(pipe.read)
        #expect(String(decoding: received, as: UTF8.self) == "hello")
        #expect(Self.wait(pid) == 7)

        let killed = try ChildSpawn.spawn(["/bin/sh", "-c", "kill -KILL $$"]).get()
        #expect(Self.wait(killed) == 128 + 9)
    }

    @Test("a program that does not exist does not start, with ENOENT")
    func missingProgram() {
        let result = ChildSpawn.spawn(["/nonexistent/tapcompare-no-such-program"])
        #expect(throws: ChildSpawn.Failure(errno: ENOENT)) { try result.get() }
    }

    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return ChildSpawn.exitCode(status)
    }

    static func temporaryPath(_ name: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tapcompare-spawn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name).path
    }
}
