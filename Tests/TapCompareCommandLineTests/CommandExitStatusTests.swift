import Foundation
import NIOCore
import NIOPosix
import SQLiteNIO
import TapCompareTestSupport
import Testing

/// Exit statuses and messages of `diff`, `rules check` and `serve`'s configuration errors, run as a user would.
@Suite(.timeLimit(.minutes(TestTiming.minutes(1)))) struct CommandExitStatusTests {
    func write(_ text: String, _ name: String, in dir: URL) throws -> String {
        let url = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func diffExitsZeroWhenEqualOneWhenDifferentTwoOnBadInput() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let a = try self.write(#"{"id": 1, "a": [1, 2, 3]}"#, "a.json", in: dir)
        let reordered = try self.write(#"{"a": [1, 2, 3], "id": 1.0}"#, "b.json", in: dir)
        let changed = try self.write(#"{"id": true, "a": [1, 3]}"#, "c.json", in: dir)
        let broken = try self.write(#"{"id": "#, "bad.json", in: dir)

        let equal = try await CommandLineTests.tapcompare(["diff", a, reordered], in: dir)
        #expect(equal.status == 0)
        let differ = try await CommandLineTests.tapcompare(["diff", a, changed], in: dir)
        #expect(differ.status == 1)
        #expect(differ.stdout.contains("type_changed\t/id\t1 → true"))
        #expect(differ.stdout.contains("missing_in_candidate\t/a/1"))
        let patch = try await CommandLineTests.tapcompare(["diff", a, changed, "--format", "json-patch"], in: dir)
        #expect(patch.status == 1)
        #expect(patch.stdout.contains(#""op":"remove""#))
        let missing = try await CommandLineTests.tapcompare(["diff", a, dir.appendingPathComponent("nope.json").path], in: dir)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot read the file"))
        let invalid = try await CommandLineTests.tapcompare(["diff", a, broken], in: dir)
        #expect(invalid.status == 2)
        #expect(invalid.stderr.contains("invalid JSON at byte 7"))
    }

    @Test func rulesCheckNamesFileLineColumnAndTheFix() async throws {
        let dir = try TestPaths.temporaryDirectory()
        _ = try self.write("rules:\n  - route: GET /x\n    ignor: [$.a]\n", "rules/r.yml", in: dir)
        let bad = try await CommandLineTests.tapcompare(["rules", "check", "rules"], in: dir)
        #expect(bad.status == 2)
        #expect((bad.stdout + bad.stderr).contains("r.yml:3:5: unknown key 'ignor'"))
        #expect((bad.stdout + bad.stderr).contains("did you mean 'ignore'?"))
        let shipped = try await CommandLineTests.tapcompare(["rules", "check", CommandLineTests.rules], in: dir)
        #expect(shipped.status == 0)
    }

    @Test func serveRefusesABadConfigurationWithExitTwo() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let file = try self.write("legacy: http://127.0.0.1:1\nmirror:\n  timeout: 5 sec\n", "tap.yml", in: dir)
        let bad = try await CommandLineTests.tapcompare(["serve", "--config", file], in: dir)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("tap.yml:3:12: mirror.timeout: '5 sec' is not a duration"))
        let flag = try await CommandLineTests.tapcompare(["serve", "--legacy", "http://127.0.0.1:1", "--sample-rate", "1.5"], in: dir)
        #expect(flag.status == 2)
        #expect(flag.stderr.contains("--sample-rate: '1.5' is outside 0…1"))
    }

    @Test("serve on a port another process listens on exits 2 naming the flag or key and the fix, before anything starts")
    func serveRefusesAPortInUse() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let holder = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(holder.localAddress?.port)
        let proxy = try await CommandLineTests.tapcompare(
            ["serve", "--legacy", "http://127.0.0.1:1", "--listen", "127.0.0.1:\(port)", "--admin", "127.0.0.1:0"], in: dir
        )
        #expect(proxy.status == 2)
        #expect(proxy.stderr.contains("command line: --listen: cannot listen on 127.0.0.1:\(port): another process is listening there; choose another address or port"), "\(proxy.stderr)")
        let file = try self.write("legacy: http://127.0.0.1:1\nlisten: 127.0.0.1:0\nadmin:\n  listen: 127.0.0.1:\(port)\n", "tap.yml", in: dir)
        let admin = try await CommandLineTests.tapcompare(["serve", "--config", file], in: dir)
        #expect(admin.status == 2)
        #expect(admin.stderr.contains("tap.yml: admin.listen: cannot listen on 127.0.0.1:\(port): another process is listening there"), "\(admin.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("tapcompare.sqlite").path), "nothing started: no ledger was created")
        try await holder.close()
    }

    @Test("serve against a ledger migrated by a newer tapcompare exits 2 naming the key and the fix, and writes nothing there")
    func serveRefusesANewerLedger() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let path = dir.appendingPathComponent("ledger.sqlite").path
        let migrated = try await CommandLineTests.tapcompare(["ledger", "migrate", "--ledger", "sqlite:\(path)"], in: dir)
        #expect(migrated.status == 0, "\(migrated.stderr)")
        let connection = try await SQLiteConnection.open(storage: .file(path: path))
        _ = try await connection.query("INSERT INTO schema_migrations (version, name) VALUES (99, 'a newer tapcompare')")
        try await connection.close()

        let file = try self.write(
            "legacy: http://127.0.0.1:1\nlisten: 127.0.0.1:0\nadmin:\n  listen: 127.0.0.1:0\nledger:\n  url: sqlite:\(path)\n  spool_dir: \(dir.path)/spool\n",
            "tap.yml", in: dir
        )
        let serve = try await CommandLineTests.tapcompare(["serve", "--config", file], in: dir)
        #expect(serve.status == 2, "\(serve.stderr)")
        #expect(serve.stderr.contains("tap.yml: ledger.url: the ledger '\(path)' has schema version 99, newer than this tapcompare's"), "\(serve.stderr)")
        #expect(serve.stderr.contains("Run the tapcompare that migrated it"))
        let flag = try await CommandLineTests.tapcompare(
            ["serve", "--legacy", "http://127.0.0.1:1", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--ledger", "sqlite:\(path)"], in: dir
        )
        #expect(flag.status == 2)
        #expect(flag.stderr.contains("command line: --ledger: the ledger"), "\(flag.stderr)")
        // Nothing was spooled for a ledger this build cannot write.
        let spooled = (try? FileManager.default.contentsOfDirectory(atPath: "\(dir.path)/spool")) ?? []
        #expect(spooled.allSatisfy { !$0.hasSuffix(".spool") }, "\(spooled)")
    }

    /// `grpc.descriptor_set` (issue 18): a file that is not a descriptor set, or a diff-rules block naming a method the
    /// set does not hold, stops start-up with exit 2 naming the file and the fix.
    @Test func serveRefusesABadDescriptorSetOrAnUnknownMethodWithExitTwo() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let garbage = try self.write("not protobuf", "api.pb", in: dir)
        let bad = try self.write("legacy: http://127.0.0.1:1\ngrpc:\n  descriptor_set: \(garbage)\n", "tap.yml", in: dir)
        let refused = try await CommandLineTests.tapcompare(["serve", "--config", bad], in: dir)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("tap.yml:3:19: grpc.descriptor_set: \(garbage): "), "\(refused.stderr)")
        #expect(refused.stderr.contains("protoc --include_imports --descriptor_set_out="))

        _ = try self.write("rules:\n  - route: /tapcompare.demo.Comments/EditComment\n    ignore: ['$.messages[*].body']\n", "rules/grpc.yml", in: dir)
        let descriptors = TestPaths.fixture("grpc/comments.pb")
        let unknown = try self.write(
            "legacy: http://127.0.0.1:1\nrules: rules\ngrpc:\n  descriptor_set: \(descriptors)\n", "tap2.yml", in: dir
        )
        let stopped = try await CommandLineTests.tapcompare(["serve", "--config", unknown], in: dir)
        #expect(stopped.status == 2)
        #expect(stopped.stderr.contains("'/tapcompare.demo.Comments/EditComment' is not a method of the descriptor set \(descriptors)"), "\(stopped.stderr)")
    }
}
