import Foundation
import Logging
import PostgresNIO
import SQLiteNIO
import TapCompareCore
import TapCompareTestSupport
import Testing
@testable import TapCompareLedger

/// What the spool holds is accounted for exactly once: every comparison recorded ends up in the ledger or in one gap
/// row, never both, never neither, whatever the disk or the database does to it. Written once and run on both
/// backends by ``SQLiteLedgerTests`` and ``PostgresLedgerTests``, with the real spool on a real disk (the disk's
/// failures injected through ``FailingDisk``) and the real database.
enum SpoolAccountingScenarios {
    /// A spooled frame that is whole by its checksum but does not decode (written by an incompatible version) is
    /// counted and recorded as a gap: with how many comparisons it held and when, when it is a JSON array; as a gap
    /// of unknown size when it is not even that. The batches around it replay.
    static func undecodableFramesAreCountedAndRecorded(_ backend: Backend) async throws {
        let url = try await backend.freshURL()
        let spoolDirectory = Harness.temporaryDirectory() + "/spool"
        let rows = try Self.rows(0..<10)
        let stranger = Self.strangerFrame(count: 3)
        try Self.spool(spoolDirectory, frames: [
            try LedgerSpoolCodec.encode(Array(rows[0..<5])), stranger.frame, try LedgerSpoolCodec.encode(Array(rows[5..<10])),
            Array("not a batch at all".utf8),
        ])
        _ = try await Harness.withStore(url) { try await $0.migrate() }
        let snapshot = try await Harness.withWriter(Harness.configuration(url: url, spoolDirectory: spoolDirectory)) { writer in
            try await Harness.waitUntil("the spool is replayed and both gaps are written") {
                writer.spool.isEmpty && writer.metrics.snapshot.gapsWritten >= 2
            }
            return writer.metrics.snapshot
        }
        #expect(snapshot.replayed == 10)
        #expect(snapshot.dropped == ["spool_undecodable": 3], "the comparisons of the frame that says how many it held")
        #expect(snapshot.spoolFramesLost == ["undecodable": 2])
        let (counts, gaps) = try await Harness.withStore(url) { store in (try await store.counts(), try await store.gaps()) }
        #expect(counts.comparisons == 10)
        #expect(gaps.count == 2)
        #expect(gaps.allSatisfy { $0.reason == "spool_undecodable" && $0.instance == "test" })
        let counted = try #require(gaps.first { $0.count == 3 })
        #expect(abs(counted.from.timeIntervalSince(stranger.from)) < 0.001 && abs(counted.to.timeIntervalSince(stranger.to)) < 0.001)
        let unknown = try #require(gaps.first { $0.count == 0 }, "how many the frame that is not JSON held is unknown: count 0")
        #expect(unknown.from <= unknown.to)
    }

    /// Bytes of the spool that are not a whole frame when it is replayed (damaged on the disk, or cut short by a
    /// crash) are counted and recorded as a gap row in the ledger, so the loss is still there after a restart; how
    /// many comparisons they held is unknown (count 0), and the gap's time covers the comparisons lost.
    static func damagedSpoolBytesAreRecordedAsAGap(_ backend: Backend) async throws {
        let url = try await backend.freshURL()
        let spoolDirectory = Harness.temporaryDirectory() + "/spool"
        let rows = try Self.rows(0..<15)
        // A segment per frame: the damage in one does not take the others with it.
        try Self.spool(spoolDirectory, frames: try [0..<5, 5..<10, 10..<15].map { try LedgerSpoolCodec.encode(Array(rows[$0])) }, segmentBytes: 1)
        let segments = try FileManager.default.contentsOfDirectory(atPath: spoolDirectory).filter { $0.hasSuffix(".spool") }.sorted()
        try #require(segments.count == 3)
        // The disk flips a byte of the second frame; a crash cut the third short.
        let damaged = spoolDirectory + "/" + segments[1]
        var bytes = try #require(FileManager.default.contents(atPath: damaged))
        bytes[bytes.count - 10] ^= 0x20
        try bytes.write(to: URL(fileURLWithPath: damaged))
        let torn = try #require(FileHandle(forWritingAtPath: spoolDirectory + "/" + segments[2]))
        try torn.truncate(atOffset: try torn.seekToEnd() - 20)
        try torn.close()

        _ = try await Harness.withStore(url) { try await $0.migrate() }
        let snapshot = try await Harness.withWriter(Harness.configuration(url: url, spoolDirectory: spoolDirectory)) { writer in
            try await Harness.waitUntil("the spool is replayed and the gap is written") {
                writer.spool.isEmpty && writer.metrics.snapshot.gapsWritten >= 1
            }
            return writer.metrics.snapshot
        }
        #expect(snapshot.replayed == 5)
        #expect(snapshot.spoolFramesLost == ["corrupt": 2])
        #expect(snapshot.droppedTotal == 0, "how many comparisons were lost is not known, so none is counted as if it were")
        let (counts, gaps) = try await Harness.withStore(url) { store in (try await store.counts(), try await store.gaps()) }
        #expect(counts.comparisons == 5)
        let gap = try #require(gaps.first)
        #expect(gaps.count == 1, "both damaged stretches merge into one gap of unknown size")
        #expect(gap.reason == "spool_corrupt" && gap.count == 0)
        // The end is a segment's modification time, which the kernel takes from a clock that ticks every few
        // milliseconds: it may read a tick earlier than the last comparison it follows.
        let lost = rows[5..<15].map(\.recordedAt)
        #expect(gap.from <= lost.min()! && gap.to >= lost.max()!.addingTimeInterval(-0.05), "the gap covers the comparisons lost: \(gap.from) … \(gap.to)")
        #expect(gap.from > rows[4].recordedAt.addingTimeInterval(-60), "and starts about when the last one replayed was recorded")
    }

    /// A spool write that completes but whose `fsync` fails keeps its batch: it replays, and no gap says it is
    /// missing (the gap such a batch used to get was false once the replay stored it).
    static func fsyncFailureIsNotAGap(_ backend: Backend, downURL: LedgerURL) async throws {
        let url = try await backend.freshURL()
        let spoolDirectory = Harness.temporaryDirectory() + "/spool"
        let disk = FailingDisk()
        disk.failNextFsync(errno: EIO)
        let recorded = 10
        let down = try await Self.spoolWhileDown(recorded, downURL: downURL, spoolDirectory: spoolDirectory, disk: disk)
        #expect(down.spoolErrors == ["fsync": 1])
        #expect(down.spooled == recorded, "the batch whose fsync failed is in the spool: \(down)")
        #expect(down.droppedTotal == 0)

        _ = try await Harness.withStore(url) { try await $0.migrate() }
        let up = try await Harness.withWriter(Harness.configuration(url: url, spoolDirectory: spoolDirectory)) { writer in
            try await Harness.waitUntil("the spool is replayed") { writer.spool.isEmpty && writer.metrics.snapshot.replayed == recorded }
            return writer.metrics.snapshot
        }
        #expect(up.droppedTotal == 0 && up.gapsWritten == 0)
        let (counts, gaps) = try await Harness.withStore(url) { store in (try await store.counts(), try await store.gaps()) }
        #expect(counts.comparisons == recorded)
        #expect(gaps.isEmpty, "every comparison is in the ledger, so no gap may say one is missing: \(gaps)")
    }

    /// A spool write the disk refuses halfway drops its batch, counted once (`spool_error`, one gap): the part of
    /// the frame that reached the disk is cut off, so the replay does not find it damaged and count it again.
    static func failedSpoolWriteIsOneGap(_ backend: Backend, downURL: LedgerURL) async throws {
        let url = try await backend.freshURL()
        let spoolDirectory = Harness.temporaryDirectory() + "/spool"
        let disk = FailingDisk()
        disk.failNextWrite(after: 20, errno: ENOSPC)
        let recorded = 10
        let down = try await Self.spoolWhileDown(recorded, downURL: downURL, spoolDirectory: spoolDirectory, disk: disk)
        let dropped = down.dropped["spool_error", default: 0]
        #expect(dropped > 0 && down.spooled > 0, "\(down)")
        #expect(down.spoolErrors == ["write": 1])

        _ = try await Harness.withStore(url) { try await $0.migrate() }
        let up = try await Harness.withWriter(Harness.configuration(url: url, spoolDirectory: spoolDirectory)) { writer in
            // At least one gap: should there be more, the writer writes them all before it stops, and they are
            // checked below.
            try await Harness.waitUntil("the spool is replayed and the gap written") {
                writer.spool.isEmpty && writer.metrics.snapshot.replayed == down.spooled && writer.metrics.snapshot.gapsWritten >= 1
            }
            return writer.metrics.snapshot
        }
        #expect(up.spoolFramesLost.isEmpty, "nothing of the failed write is left for the replay to find damaged")
        let (counts, gaps) = try await Harness.withStore(url) { store in (try await store.counts(), try await store.gaps()) }
        #expect(gaps.map(\.reason) == ["spool_error"])
        #expect(gaps.map(\.count) == [dropped])
        #expect(counts.comparisons == down.spooled)
        #expect(counts.comparisons + dropped == recorded, "every comparison in the ledger or in exactly one gap")
    }

    /// The replay of a spooled batch whose rows the ledger refuses, interrupted by the ledger failing partway and
    /// retried, and then by a restart: each refused row is counted once (in the metric and in the gap row), each
    /// stored row stored once, and an undecodable frame before it is not counted again after the restart.
    static func refusedRowsOfAnInterruptedReplayAreCountedOnce(_ backend: Backend) async throws {
        let url = try await backend.freshURL()
        let spoolDirectory = Harness.temporaryDirectory() + "/spool"
        let rows = try Self.rows(0..<10)
        _ = try await Harness.withStore(url) { try await $0.migrate() }
        try await RefusingLedger.install(url, refusing: [rows[2].id, rows[5].id], failingAt: rows[7].id)
        let stranger = Self.strangerFrame(count: 3)
        try Self.spool(spoolDirectory, frames: [stranger.frame, try LedgerSpoolCodec.encode(rows)])
        let configuration = Harness.configuration(url: url, spoolDirectory: spoolDirectory)

        // Rows 2 and 5 are refused, then the ledger fails at row 7: the batch stays in the spool and is retried.
        let first = try await Harness.withWriter(configuration) { writer in
            try await Harness.waitUntil("the replay has stopped at row 7 twice") { writer.metrics.snapshot.failedBatches >= 2 }
            return writer.metrics.snapshot
        }
        #expect(first.dropped == ["rejected": 2, "spool_undecodable": 3], "each refused row counted once, however often the batch is retried")
        #expect(first.replayed == 5, "rows 0, 1, 3, 4 and 6; refused rows are not replayed ones")

        // The next process, with the ledger taking row 7 again, resumes where the first one stopped.
        try await RefusingLedger.stopFailing(url)
        let second = try await Harness.withWriter(configuration) { writer in
            try await Harness.waitUntil("the spool is replayed and the gaps are written") {
                writer.spool.isEmpty && writer.metrics.snapshot.gapsWritten >= 2
            }
            return writer.metrics.snapshot
        }
        #expect(second.droppedTotal == 0 && second.spoolFramesLost.isEmpty, "nothing counted again after the restart: \(second)")
        #expect(second.replayed == 3)
        let (counts, gaps) = try await Harness.withStore(url) { store in (try await store.counts(), try await store.gaps()) }
        #expect(counts.comparisons == 8)
        #expect(gaps.map { "\($0.reason) \($0.count)" }.sorted() == ["rejected 2", "spool_undecodable 3"])
        #expect(counts.comparisons + gaps.reduce(0) { $0 + $1.count } == rows.count + 3)
    }

    /// A segment replayed whole whose file cannot be deleted (`EBUSY`: the delete fails, as it would were the process
    /// killed before it) is not replayed again by the next process: that one deletes it. Nothing of it is stored or
    /// counted twice: each comparison is in the ledger once, and the gap of its undecodable frame is one row.
    static func replayedSegmentThatCannotBeDeletedIsNotReplayedAgain(_ backend: Backend) async throws {
        let url = try await backend.freshURL()
        let spoolDirectory = Harness.temporaryDirectory() + "/spool"
        let rows = try Self.rows(0..<10)
        let stranger = Self.strangerFrame(count: 3)
        // A segment per frame.
        try Self.spool(
            spoolDirectory, frames: [try LedgerSpoolCodec.encode(Array(rows[0..<5])), stranger.frame, try LedgerSpoolCodec.encode(Array(rows[5..<10]))],
            segmentBytes: 1
        )
        try #require(try Self.segmentFiles(spoolDirectory).count == 3)
        _ = try await Harness.withStore(url) { try await $0.migrate() }
        let disk = FailingDisk()
        disk.failUnlinks(errno: EBUSY)
        let configuration = Harness.configuration(url: url, spoolDirectory: spoolDirectory)

        let first = try await Harness.withWriter(configuration, spoolCalls: disk.calls) { writer in
            try await Harness.waitUntil("the spool is replayed and the gap written") {
                writer.spool.isEmpty && writer.metrics.snapshot.gapsWritten >= 1
            }
            return writer.metrics.snapshot
        }
        #expect(first.replayed == 10 && first.dropped == ["spool_undecodable": 3], "\(first)")
        #expect(first.spoolErrors["unlink", default: 0] >= 3, "each segment's failed delete is counted: \(first.spoolErrors)")
        #expect(try Self.segmentFiles(spoolDirectory).count == 3, "the segments could not be deleted")

        // The next process, whose deletes succeed: it deletes the segments, it does not replay them.
        let second = try await Harness.withWriter(configuration) { writer in
            try await Harness.waitUntil("the replayed segments are gone") {
                writer.spool.isEmpty && (try? Self.segmentFiles(spoolDirectory).isEmpty) == true
            }
            return writer.metrics.snapshot
        }
        #expect(second.replayed == 0 && second.droppedTotal == 0 && second.gapsWritten == 0, "nothing replayed or counted again: \(second)")
        let (counts, gaps) = try await Harness.withStore(url) { store in (try await store.counts(), try await store.gaps()) }
        #expect(counts.comparisons == 10)
        #expect(gaps.map { "\($0.reason) \($0.count)" } == ["spool_undecodable 3"], "one gap row for the undecodable frame")
        #expect(!FileManager.default.fileExists(atPath: spoolDirectory + "/pending-gaps.json"), "nothing left to remember")
    }

    /// Within one process, a replayed segment whose delete failed is deleted at a later retry (every
    /// `ledger.retry_interval`), without being replayed again. The operator reads why in the log: the file, the
    /// system's reason and when it is tried again; then that the retry deleted it.
    static func replayedSegmentIsDeletedAtALaterRetry(_ backend: Backend) async throws {
        let url = try await backend.freshURL()
        let spoolDirectory = Harness.temporaryDirectory() + "/spool"
        try Self.spool(spoolDirectory, frames: [try LedgerSpoolCodec.encode(try Self.rows(0..<5))])
        let segment = try #require(try Self.segmentFiles(spoolDirectory).first)
        _ = try await Harness.withStore(url) { try await $0.migrate() }
        let disk = FailingDisk()
        disk.failUnlinks(errno: EACCES)
        let log = CapturedLog()
        let configuration = Harness.configuration(url: url, spoolDirectory: spoolDirectory)
        let snapshot = try await Harness.withWriter(configuration, spoolCalls: disk.calls, logger: Logger(label: "test") { _ in log }) { writer in
            try await Harness.waitUntil("the spool is replayed and its delete failed") {
                writer.spool.isEmpty && writer.metrics.snapshot.spoolErrors["unlink", default: 0] >= 1
            }
            #expect(try Self.segmentFiles(spoolDirectory).count == 1)
            disk.allowUnlinks()
            try await Harness.waitUntil("the segment is deleted at a retry") { (try? Self.segmentFiles(spoolDirectory).isEmpty) == true }
            try await Harness.waitUntil("the retry's success is logged") {
                log.messages.contains("ledger deleted the replayed spool segments it could not delete before")
            }
            return writer.metrics.snapshot
        }
        let failures = log.lines.filter { $0.hasPrefix("ledger cannot delete a replayed spool segment; it is kept but not replayed again") }
        #expect(!failures.isEmpty, "the failed delete is logged: \(log.lines)")
        for line in failures {
            #expect(line.contains("\"ledger.file\": \(spoolDirectory)/\(segment)"), "\(line)")
            #expect(line.contains("\"ledger.error\": \(String(cString: strerror(EACCES)))"), "\(line)")
            #expect(line.contains("\"ledger.retry_interval\": \(DurationParser.format(configuration.retryInterval))"), "\(line)")
        }
        #expect(snapshot.replayed == 5)
        #expect(try await Harness.withStore(url) { try await $0.counts() }.comparisons == 5)
    }

    /// A spool write the disk refuses halfway whose partial frame cannot be cut off either (the truncate fails), and a
    /// restart before the replay: the batch is counted once, as `spool_error`; the next process stops before the
    /// partial frame as the first would have, rather than count it again as `spool_corrupt`.
    static func failedSpoolWriteWhoseTruncateFailsIsOneGapAfterARestart(_ backend: Backend, downURL: LedgerURL) async throws {
        let url = try await backend.freshURL()
        let spoolDirectory = Harness.temporaryDirectory() + "/spool"
        let disk = FailingDisk()
        disk.failNextWrite(after: 20, errno: ENOSPC, truncateFails: true)
        let recorded = 10
        let down = try await Self.spoolWhileDown(recorded, downURL: downURL, spoolDirectory: spoolDirectory, disk: disk)
        let dropped = down.dropped["spool_error", default: 0]
        #expect(dropped > 0 && down.spooled > 0, "\(down)")
        #expect(down.spoolErrors == ["write": 1, "truncate": 1])

        _ = try await Harness.withStore(url) { try await $0.migrate() }
        let up = try await Harness.withWriter(Harness.configuration(url: url, spoolDirectory: spoolDirectory)) { writer in
            try await Harness.waitUntil("the spool is replayed and the gap written") {
                writer.spool.isEmpty && writer.metrics.snapshot.replayed == down.spooled && writer.metrics.snapshot.gapsWritten >= 1
            }
            return writer.metrics.snapshot
        }
        #expect(up.spoolFramesLost.isEmpty, "the partial frame is not found damaged after the restart: \(up)")
        let (counts, gaps) = try await Harness.withStore(url) { store in (try await store.counts(), try await store.gaps()) }
        #expect(gaps.map(\.reason) == ["spool_error"])
        #expect(gaps.map(\.count) == [dropped])
        #expect(counts.comparisons == down.spooled)
        #expect(counts.comparisons + dropped == recorded, "every comparison in the ledger or in exactly one gap")
        #expect(try Self.segmentFiles(spoolDirectory).isEmpty, "the segment holding the partial frame is deleted once replayed")
    }

    // MARK: Fixtures

    /// Records `recorded` comparisons while the ledger at `downURL` is down, so they go to the spool in
    /// `spoolDirectory` through `disk` (set up by the test to fail a call), and returns the writer's counts once each
    /// is spooled or dropped.
    static func spoolWhileDown(_ recorded: Int, downURL: LedgerURL, spoolDirectory: String, disk: FailingDisk) async throws -> LedgerMetrics.Snapshot {
        try await Harness.withWriter(
            Harness.configuration(url: downURL, spoolDirectory: spoolDirectory, batchSize: 5, writeTimeout: .seconds(3)), spoolCalls: disk.calls
        ) { writer in
            for i in 0..<recorded { writer.record(SyntheticComparisons.make(index: i)) }
            try await Harness.waitUntil("all \(recorded) are spooled or dropped") {
                let s = writer.metrics.snapshot
                return s.spooled + s.droppedTotal == recorded
            }
            return writer.metrics.snapshot
        }
    }

    static func segmentFiles(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".spool") }.sorted()
    }

    static func rows(_ indices: Range<Int>) throws -> [LedgerComparison] {
        let encoder = LedgerRecordEncoder(redactor: try Redactor(configuration: .init()), instance: "test", maxSampleBytes: 1024)
        return indices.map { encoder.encode(SyntheticComparisons.make(index: $0)) }
    }

    /// A frame of another (newer, incompatible) version: a JSON array of `count` elements with times, not
    /// comparisons this version can decode.
    static func strangerFrame(count: Int) -> (frame: [UInt8], from: Date, to: Date) {
        let first: Int64 = 1_790_000_000_000
        let elements = (0..<count).map { #"{"recordedAt":\#(first + Int64($0) * 1000),"layout":"a newer tapcompare's"}"# }
        let to = Date(timeIntervalSince1970: Double(first + Int64(count - 1) * 1000) / 1000)
        return (Array("[\(elements.joined(separator: ","))]".utf8), Date(timeIntervalSince1970: Double(first) / 1000), to)
    }

    /// Leaves `frames` in a spool directory, as a process that stopped while the ledger was down would.
    static func spool(_ directory: String, frames: [[UInt8]], segmentBytes: Int = 8 << 20) throws {
        let spool = try LedgerSpool(directory: directory, maxBytes: 1 << 30, segmentBytes: segmentBytes)
        for frame in frames { try #require(try spool.append(frame) == .durable) }
    }
}

/// A real ledger that refuses some rows as data (SQLite: a trigger storing text in an integer primary key, a
/// datatype mismatch; PostgreSQL: a trigger raising `check_violation`) and fails on another as a database that is
/// down would (SQLite: `malformed JSON`; PostgreSQL: a plain `RAISE`, SQLSTATE P0001) until ``stopFailing(_:)``.
enum RefusingLedger {
    static func install(_ url: LedgerURL, refusing: [UUID], failingAt failing: UUID) async throws {
        switch url.backend {
        case .sqlite:
            let refused = refusing.map { "'\($0.ledgerText)'" }.joined(separator: ", ")
            try await Self.sqlite(url, [
                "CREATE TABLE test_mismatch (k INTEGER PRIMARY KEY)",
                "CREATE TABLE test_control (failing INTEGER NOT NULL)",
                "INSERT INTO test_control VALUES (1)",
                "CREATE TRIGGER test_refuse BEFORE INSERT ON comparisons WHEN NEW.id IN (\(refused)) BEGIN INSERT INTO test_mismatch (k) VALUES ('not an integer'); END",
                "CREATE TRIGGER test_fail BEFORE INSERT ON comparisons WHEN NEW.id = '\(failing.ledgerText)' AND (SELECT failing FROM test_control) = 1 BEGIN SELECT json('not json'); END",
            ])
        case .postgres:
            let refused = refusing.map { "'\($0.uuidString.lowercased())'::uuid" }.joined(separator: ", ")
            try await Self.postgres(url, [
                "CREATE TABLE public.test_control (failing boolean NOT NULL)",
                "INSERT INTO public.test_control VALUES (true)",
                """
                CREATE FUNCTION public.test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.id IN (\(refused)) THEN
                        RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'check_violation';
                    END IF;
                    IF NEW.id = '\(failing.uuidString.lowercased())'::uuid AND (SELECT failing FROM public.test_control) THEN
                        RAISE EXCEPTION 'failing by the test';
                    END IF;
                    RETURN NEW;
                END $$
                """,
                "CREATE TRIGGER test_refuse BEFORE INSERT ON tapcompare.comparisons FOR EACH ROW EXECUTE FUNCTION public.test_refuse()",
            ])
        }
    }

    /// The ledger takes the failing row from now on (it still refuses the refused ones).
    static func stopFailing(_ url: LedgerURL) async throws {
        switch url.backend {
        case .sqlite: try await Self.sqlite(url, ["UPDATE test_control SET failing = 0"])
        case .postgres: try await Self.postgres(url, ["UPDATE public.test_control SET failing = false"])
        }
    }

    private static func sqlite(_ url: LedgerURL, _ statements: [String]) async throws {
        guard case .sqlite(let path) = url.backend else { return }
        let conn = try await SQLiteConnection.open(storage: .file(path: path))
        do {
            for statement in statements { _ = try await conn.query(statement) }
        } catch {
            try? await conn.close()
            throw error
        }
        try await conn.close()
    }

    private static func postgres(_ url: LedgerURL, _ statements: [String]) async throws {
        try await Harness.withStore(url) { store in
            let pg = try #require(store as? PostgresLedgerStore)
            for statement in statements { try await pg.client.query(PostgresQuery(unsafeSQL: statement)) }
        }
    }
}
