import Foundation
import Metrics
import TapCompareCore
import Testing
@testable import TapCompareLedger

@Suite("Spool")
struct LedgerSpoolTests {
    @Test func framesComeBackInOrderAndSegmentsAreFreed() throws {
        let dir = Harness.temporaryDirectory()
        let spool = try LedgerSpool(directory: dir, maxBytes: 1 << 20, segmentBytes: 100)
        for i in 0..<10 { #expect(try spool.append(Array("batch-\(i)".utf8)) == .durable) }
        #expect(!spool.isEmpty)
        let seen = try Self.drain(spool)
        #expect(seen == (0..<10).map { "batch-\($0)" })
        #expect(spool.isEmpty)
        #expect(spool.bytesOnDisk == 0)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".spool") }
        #expect(left.isEmpty, "replayed segments are deleted")
    }

    @Test func capRefusesWithoutWriting() throws {
        let spool = try LedgerSpool(directory: Harness.temporaryDirectory(), maxBytes: 100)
        #expect(try spool.append([UInt8](repeating: 1, count: 60)) == .durable)
        #expect(try spool.append([UInt8](repeating: 2, count: 60)) == .full)
        #expect(spool.bytesOnDisk == 72)
    }

    @Test func aSecondProcessCannotShareTheDirectory() throws {
        let dir = Harness.temporaryDirectory()
        let first = try LedgerSpool(directory: dir, maxBytes: 1000)
        #expect(throws: LedgerError.self) { try LedgerSpool(directory: dir, maxBytes: 1000) }
        _ = first
    }

    /// A torn tail (a crash in the middle of an append) is returned as damage, for the writer to count and record
    /// as a gap, not skipped silently; replay goes on with the next segment.
    @Test func reopenedSpoolReplaysLeftoversAndReportsATornTail() throws {
        let dir = Harness.temporaryDirectory()
        do {
            let spool = try LedgerSpool(directory: dir, maxBytes: 1 << 20)
            #expect(try spool.append(Array("one".utf8)) == .durable)
            #expect(try spool.append(Array("two".utf8)) == .durable)
        }
        // A crash in the middle of an append: half a frame at the end of the segment.
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".spool") })
        let handle = try #require(FileHandle(forWritingAtPath: dir + "/" + segment))
        handle.seekToEndOfFile()
        handle.write(Data(SpoolFrame.encode(Array("three".utf8)).prefix(9)))
        try handle.close()

        let reopened = try LedgerSpool(directory: dir, maxBytes: 1 << 20)
        #expect(!reopened.isEmpty)
        #expect(try reopened.append(Array("four".utf8)) == .durable, "new batches go to a new segment after the leftovers")
        #expect(try Self.drain(reopened) == ["one", "two", "damaged 9 bytes", "four"])
        #expect(reopened.isEmpty)
    }

    /// A write the disk refuses halfway (`ENOSPC`) leaves nothing of its frame: the caller counts the batch as
    /// dropped, and replay must not meet half a frame and count it again as damage.
    @Test func aFailedWriteLeavesNoPartialFrame() throws {
        let dir = Harness.temporaryDirectory()
        let disk = FailingDisk()
        let metrics = LedgerMetrics(factory: NOOPMetricsHandler.instance)
        let spool = try LedgerSpool(directory: dir, maxBytes: 1 << 20, metrics: metrics, calls: disk.calls)
        #expect(try spool.append(Array("one".utf8)) == .durable)
        disk.failNextWrite(after: 7, errno: ENOSPC)
        #expect(throws: LedgerError.self) { try spool.append(Array("two".utf8)) }
        #expect(try spool.append(Array("three".utf8)) == .durable)
        #expect(spool.bytesOnDisk == SpoolFrame.encode(Array("one".utf8)).count + SpoolFrame.encode(Array("three".utf8)).count)
        #expect(try Self.drain(spool) == ["one", "three"], "no damage to report: the partial frame was cut off")
        #expect(metrics.snapshot.spoolErrors == ["write": 1])
    }

    /// Where the truncate fails too, replay stops before the partial frame instead of reporting it as damage.
    @Test func aPartialFrameThatCannotBeCutOffIsNotReplayed() throws {
        let dir = Harness.temporaryDirectory()
        let disk = FailingDisk()
        let metrics = LedgerMetrics(factory: NOOPMetricsHandler.instance)
        let spool = try LedgerSpool(directory: dir, maxBytes: 1 << 20, metrics: metrics, calls: disk.calls)
        #expect(try spool.append(Array("one".utf8)) == .durable)
        disk.failNextWrite(after: 7, errno: EIO, truncateFails: true)
        #expect(throws: LedgerError.self) { try spool.append(Array("two".utf8)) }
        #expect(try spool.append(Array("three".utf8)) == .durable)
        #expect(spool.bytesOnDisk == SpoolFrame.encode(Array("one".utf8)).count + 7 + SpoolFrame.encode(Array("three".utf8)).count)
        #expect(try Self.drain(spool) == ["one", "three"])
        #expect(metrics.snapshot.spoolErrors == ["write": 1, "truncate": 1])
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".spool") }
        #expect(left.isEmpty, "the segment holding the partial frame is deleted once replayed")
    }

    /// A write that completes but whose `fsync` fails keeps its frame: it replays like any other, so it must not be
    /// counted as lost. The segment is closed; later frames go to a new one.
    @Test func aFrameWhoseFsyncFailedIsKeptAndReplayed() throws {
        let dir = Harness.temporaryDirectory()
        let disk = FailingDisk()
        let metrics = LedgerMetrics(factory: NOOPMetricsHandler.instance)
        let spool = try LedgerSpool(directory: dir, maxBytes: 1 << 20, metrics: metrics, calls: disk.calls)
        disk.failNextFsync(errno: EIO)
        #expect(try spool.append(Array("one".utf8)) == .notSynced(reason: String(cString: strerror(EIO))))
        #expect(try spool.append(Array("two".utf8)) == .durable)
        let segments = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".spool") }
        #expect(segments.count == 2)
        #expect(try Self.drain(spool) == ["one", "two"])
        #expect(metrics.snapshot.spoolErrors == ["fsync": 1])
    }

    /// A position saved before a restart is resumed only where the same entry is still there.
    @Test func resumesOnlyAtTheSameEntry() throws {
        let dir = Harness.temporaryDirectory()
        var second: LedgerSpool.Position?
        do {
            let spool = try LedgerSpool(directory: dir, maxBytes: 1 << 20)
            for batch in ["one", "two", "three"] { #expect(try spool.append(Array(batch.utf8)) == .durable) }
            let first = try #require(try spool.peek())
            spool.commit(first)
            second = try spool.peek()?.position
        }
        let position = try #require(second)
        let reopened = try LedgerSpool(directory: dir, maxBytes: 1 << 20)
        let elsewhere = LedgerSpool.Position(segment: position.segment, offset: position.offset, length: position.length, checksum: position.checksum ^ 1)
        #expect(try reopened.resume(at: elsewhere) == false, "another entry at that place: read from the start")
        #expect(try reopened.resume(at: position))
        #expect(try Self.drain(reopened) == ["two", "three"])
    }

    /// A segment replayed whole whose delete fails is counted, kept aside (never read again) and marked; a spool
    /// reopened with that mark does not replay it, and deletes it at its next try. A mark of other bytes is ignored.
    @Test func aSegmentWhoseDeleteFailsIsMarkedAndNotReplayedAfterARestart() throws {
        let dir = Harness.temporaryDirectory()
        let disk = FailingDisk()
        let metrics = LedgerMetrics(factory: NOOPMetricsHandler.instance)
        var marks = LedgerSpool.Marks()
        do {
            let spool = try LedgerSpool(directory: dir, maxBytes: 1 << 20, segmentBytes: 1, metrics: metrics, calls: disk.calls)
            for batch in ["one", "two", "three"] { #expect(try spool.append(Array(batch.utf8)) == .durable) }
            disk.failUnlinks(errno: EBUSY)
            let first = try #require(try spool.peek())
            #expect(spool.finishing(first) != nil, "its segment's last entry")
            #expect(spool.commit(first)?.reason == String(cString: strerror(EBUSY)))
            #expect(try Self.drain(spool) == ["two", "three"], "the segment that was not deleted is not read again")
            #expect(spool.isEmpty && spool.hasUndeletedSegments)
            marks = spool.marks
            #expect(spool.retryDeletes().count == 3, "still failing")
        }
        #expect(marks.finished.count == 3 && marks.cutShort.isEmpty)
        #expect(metrics.snapshot.spoolErrors == ["unlink": 6])
        #expect(try Self.segments(dir).count == 3)

        do {
            // The third segment's mark names other bytes: that segment is replayed (and deleted).
            var other = marks
            let third = marks.finished[2]
            other.finished[2] = LedgerSpool.FinishedSegment(segment: third.segment, bytes: third.bytes, checksum: third.checksum ^ 1)
            let reopened = try LedgerSpool(directory: dir, maxBytes: 1 << 20, segmentBytes: 1)
            reopened.restore(other)
            #expect(try Self.drain(reopened) == ["three"])
        }
        let reopened = try LedgerSpool(directory: dir, maxBytes: 1 << 20, segmentBytes: 1)
        reopened.restore(marks)
        #expect(reopened.isEmpty && reopened.hasUndeletedSegments)
        #expect(try Self.drain(reopened) == [], "nothing replayed again")
        #expect(reopened.retryDeletes().isEmpty)
        #expect(try Self.segments(dir).isEmpty && reopened.bytesOnDisk == 0 && reopened.marks.isEmpty)
    }

    /// A partial frame a failed append could not cut off is marked; a spool reopened with the mark stops before it as
    /// the first did, where one reopened without it (a crash, or a file from before marks) finds it damaged.
    @Test func aCutShortSegmentIsReadUpToItsEndAfterARestart() throws {
        let dir = Harness.temporaryDirectory()
        let disk = FailingDisk()
        var marks = LedgerSpool.Marks()
        do {
            let spool = try LedgerSpool(directory: dir, maxBytes: 1 << 20, calls: disk.calls)
            #expect(try spool.append(Array("one".utf8)) == .durable)
            disk.failNextWrite(after: 7, errno: EIO, truncateFails: true)
            #expect(throws: LedgerError.self) { try spool.append(Array("two".utf8)) }
            #expect(try spool.append(Array("three".utf8)) == .durable)
            marks = spool.marks
        }
        #expect(marks.cutShort.count == 1 && marks.finished.isEmpty)
        let copy = Harness.temporaryDirectory()
        for name in try Self.segments(dir) { try FileManager.default.copyItem(atPath: dir + "/" + name, toPath: copy + "/" + name) }
        let unmarked = try LedgerSpool(directory: copy, maxBytes: 1 << 20)
        #expect(try Self.drain(unmarked) == ["one", "damaged 7 bytes", "three"])
        let reopened = try LedgerSpool(directory: dir, maxBytes: 1 << 20)
        reopened.restore(marks)
        #expect(reopened.marks == marks, "kept until the segment is gone")
        #expect(try Self.drain(reopened) == ["one", "three"])
        #expect(try Self.segments(dir).isEmpty && reopened.marks.isEmpty)
    }

    static func segments(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".spool") }.sorted()
    }

    /// Reads and commits every entry: batches as their text, damage as `damaged N bytes`.
    static func drain(_ spool: LedgerSpool) throws -> [String] {
        var seen: [String] = []
        while let entry = try spool.peek() {
            switch entry.content {
            case .batch(let payload): seen.append(String(decoding: payload, as: UTF8.self))
            case .damaged(let bytes): seen.append("damaged \(bytes) bytes")
            }
            spool.commit(entry)
        }
        return seen
    }

    @Test func frameDetectsCorruption() {
        var frame = SpoolFrame.encode(Array("payload".utf8))
        guard case .frame = SpoolFrame.decode(frame, at: 0) else { Issue.record("valid frame not decoded"); return }
        frame[frame.count - 1] ^= 0xFF
        guard case .corrupt = SpoolFrame.decode(frame, at: 0) else { Issue.record("corruption not detected"); return }
        guard case .incomplete = SpoolFrame.decode(Array(frame.prefix(5)), at: 0) else { Issue.record("short frame"); return }
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test func codecKeepsMillisecondsExactly() throws {
        let encoder = LedgerRecordEncoder(redactor: try Redactor(configuration: .init()), instance: "i", maxSampleBytes: 100)
        let rows = (0..<5).map { i -> LedgerComparison in
            var record = SyntheticComparisons.make(index: i)
            if i % 2 == 0 { record.candidateVersion = CandidateVersion(header: "X-Version", value: "2.4.\(i)") }
            return encoder.encode(record)
        }
        #expect(rows.map(\.candidateVersion) == ["2.4.0", nil, "2.4.2", nil, "2.4.4"])
        #expect(try LedgerSpoolCodec.decode(LedgerSpoolCodec.encode(rows)) == rows)
    }

    /// A frame spooled by a TapCompare from before `candidate_version` (schema version 7) still replays: the key
    /// is simply absent, and the row has no version.
    @Test func framesWrittenBeforeCandidateVersionsDecode() throws {
        let encoder = LedgerRecordEncoder(redactor: try Redactor(configuration: .init()), instance: "i", maxSampleBytes: 100)
        var record = SyntheticComparisons.make(index: 3)
        record.candidateVersion = CandidateVersion(header: "X-Version", value: "2.4.1")
        let row = encoder.encode(record)
        var objects = try #require(try JSONSerialization.jsonObject(with: Data(LedgerSpoolCodec.encode([row]))) as? [[String: Any]])
        #expect(objects[0]["candidateVersion"] as? String == "2.4.1")
        objects[0].removeValue(forKey: "candidateVersion")
        let old = [UInt8](try JSONSerialization.data(withJSONObject: objects))
        var expected = row
        expected.candidateVersion = nil
        #expect(try LedgerSpoolCodec.decode(old) == [expected])
    }

    /// A spooled gRPC call replays with its statuses, messages and omitted counts, and frames from before schema
    /// version 8 (no `grpc` key) still decode, as HTTP rows.
    @Test func grpcCallsSurviveTheSpool() throws {
        let encoder = LedgerRecordEncoder(redactor: try Redactor(configuration: .init()), instance: "i", maxSampleBytes: 100)
        let row = GRPCLedgerScenarios.notFoundCall(index: 5, redacting: encoder)
        #expect(row.grpc?.candidate?.status == 5)
        #expect(try LedgerSpoolCodec.decode(LedgerSpoolCodec.encode([row])) == [row])
        var objects = try #require(try JSONSerialization.jsonObject(with: Data(LedgerSpoolCodec.encode([row]))) as? [[String: Any]])
        objects[0].removeValue(forKey: "grpc")
        var expected = row
        expected.grpc = nil
        #expect(try LedgerSpoolCodec.decode([UInt8](try JSONSerialization.data(withJSONObject: objects))) == [expected])
    }
}

@Suite("Writer state machine")
struct LedgerWriterStateMachineTests {
    let t0 = ContinuousClock.now

    @Test func writesWhileAvailableSpoolsAfterAFailureRetriesAfterTheInterval() {
        var machine = LedgerWriterStateMachine(spoolPending: false, retryInterval: .seconds(1))
        #expect(machine.action(forBatchAt: t0) == .write)
        let first = machine.storeFailed(at: t0)
        let second = machine.storeFailed(at: t0)
        #expect(first, "the first failure starts an outage")
        #expect(!second, "later failures do not")
        #expect(machine.action(forBatchAt: t0 + .milliseconds(500)) == .spool)
        machine.spooled()
        #expect(!machine.shouldReplay(at: t0 + .milliseconds(500)))
        #expect(machine.shouldReplay(at: t0 + .seconds(1)))
        // While the spool holds batches, new ones queue behind them even if the store is back: order is kept.
        machine.storeSucceeded()
        #expect(machine.action(forBatchAt: t0 + .seconds(2)) == .spool)
        machine.spoolDrained()
        #expect(machine.action(forBatchAt: t0 + .seconds(2)) == .write)
    }

    @Test func gapsMergeByReasonAndWaitForTheSpool() {
        var machine = LedgerWriterStateMachine(spoolPending: true, retryInterval: .seconds(1))
        let d = Date(timeIntervalSince1970: 1_000)
        machine.dropped(count: 10, from: d, to: d.addingTimeInterval(1), reason: "spool_full")
        machine.dropped(count: 5, from: d.addingTimeInterval(-1), to: d.addingTimeInterval(2), reason: "spool_full")
        machine.dropped(count: 1, from: d, to: d, reason: "queue_full")
        #expect(machine.gaps.count == 2)
        #expect(machine.gaps[0].count == 15)
        #expect(machine.gaps[0].from == d.addingTimeInterval(-1) && machine.gaps[0].to == d.addingTimeInterval(2))
        #expect(!machine.shouldWriteGaps(at: t0), "gap rows wait until the spool is replayed")
        machine.spoolDrained()
        #expect(machine.shouldWriteGaps(at: t0))
        let sealed = machine.sealGaps()
        machine.dropped(count: 3, from: d, to: d, reason: "spool_full")
        #expect(machine.gaps.count == 3, "a gap being written is not changed; new drops start a new one")
        machine.gapWritten(id: sealed[0].id)
        machine.gapWritten(id: sealed[1].id)
        #expect(machine.gaps.map(\.count) == [3])
    }

    /// A loss whose size is unknown (a damaged spool frame) is a gap of its own: merged into a counted one, the
    /// known part of the count would be lost too.
    @Test func gapsOfUnknownSizeNeverMergeWithCountedOnes() {
        var machine = LedgerWriterStateMachine(spoolPending: true, retryInterval: .seconds(1))
        let d = Date(timeIntervalSince1970: 1_000)
        machine.dropped(count: 3, from: d, to: d, reason: "spool_undecodable")
        machine.dropped(count: nil, from: d.addingTimeInterval(-5), to: d, reason: "spool_undecodable")
        machine.dropped(count: nil, from: d, to: d.addingTimeInterval(5), reason: "spool_undecodable")
        machine.dropped(count: 2, from: d, to: d, reason: "spool_undecodable")
        #expect(machine.gaps.map(\.count) == [5, 0])
        #expect(machine.gaps[1].countIsUnknown)
        #expect(machine.gaps[1].from == d.addingTimeInterval(-5) && machine.gaps[1].to == d.addingTimeInterval(5))
    }

    /// The replay's progress through the spool's oldest entry: what is done of it is skipped on the next attempt,
    /// and it is forgotten once the spool is drained (segment numbers start again then).
    @Test func replayProgressSkipsWhatIsDoneUntilTheSpoolDrains() {
        var machine = LedgerWriterStateMachine(spoolPending: true, retryInterval: .seconds(1))
        let first = LedgerSpool.Position(segment: 1, offset: 0, length: 100, checksum: 7)
        let second = LedgerSpool.Position(segment: 1, offset: 100, length: 80, checksum: 9)
        #expect(machine.replayStart(at: first) == .fromStart)
        machine.replayed(at: first, rowsDone: 4)
        #expect(machine.replayStart(at: first) == .after(rows: 4))
        #expect(machine.replayStart(at: second) == .fromStart)
        machine.replayed(at: first, rowsDone: nil)
        #expect(machine.replayStart(at: first) == .done)
        #expect(machine.pending.replay == .init(position: first, rowsDone: nil), "saved with the gaps")
        machine.spoolDrained()
        #expect(machine.replayStart(at: first) == .fromStart)
        #expect(machine.pending.replay == nil)
    }

    /// The times of comparisons that cannot be read: after the newest one replayed before them (less the longest a
    /// comparison waits to be spooled), before their segment's last write; forgotten once the spool drains.
    @Test func timesOfUnreadableComparisons() {
        var machine = LedgerWriterStateMachine(spoolPending: true, retryInterval: .seconds(1))
        let modified = Date(timeIntervalSince1970: 2_000)
        #expect(machine.lossTimes(segmentModified: modified, margin: .seconds(5)) == (modified.addingTimeInterval(-5), modified))
        machine.replayed(recordedAt: [Date(timeIntervalSince1970: 1_900), Date(timeIntervalSince1970: 1_950), Date(timeIntervalSince1970: 1_940)])
        #expect(machine.lossTimes(segmentModified: modified, margin: .seconds(5)) == (Date(timeIntervalSince1970: 1_945), modified))
        machine.spoolDrained()
        #expect(machine.newestReplayed == nil)
    }

    /// A `pending-gaps.json` written before the spool's marks were kept still reads.
    @Test func pendingFilesWithoutMarksStillRead() throws {
        let json = #"{"gaps":[{"id":"6B1E7F0C-8E1A-4C3B-9D55-0D5C1B8E2A11","reason":"spool_error","from":0,"to":1,"count":5,"sealed":false}],"replay":{"position":{"segment":2,"offset":0,"length":40,"checksum":7},"rowsDone":null}}"#
        let pending = try JSONDecoder().decode(LedgerWriterStateMachine.Pending.self, from: Data(json.utf8))
        #expect(pending.gaps.map(\.count) == [5] && pending.replay?.rowsDone == nil && pending.spool == nil)
    }

    /// A failed delete of a replayed segment is retried after `ledger.retry_interval`, whether the database is up or not.
    @Test func deleteRetryIsMaintenance() {
        var machine = LedgerWriterStateMachine(spoolPending: false, retryInterval: .seconds(2))
        #expect(machine.maintenanceDeadline == nil && !machine.shouldRetryDeletes(at: t0))
        machine.segmentDeletesFailed(at: t0)
        #expect(machine.maintenanceDeadline == t0 + .seconds(2))
        #expect(!machine.shouldRetryDeletes(at: t0 + .seconds(1)) && machine.shouldRetryDeletes(at: t0 + .seconds(2)))
        machine.segmentsDeleted()
        #expect(machine.maintenanceDeadline == nil)
    }

    @Test func maintenanceDeadline() {
        var machine = LedgerWriterStateMachine(spoolPending: false, retryInterval: .seconds(2))
        #expect(machine.maintenanceDeadline == nil)
        _ = machine.storeFailed(at: t0)
        machine.spooled()
        #expect(machine.maintenanceDeadline == t0 + .seconds(2))
    }
}

@Suite("Ledger time")
struct LedgerTimeTests {
    @Test func formatsAndParses() {
        let date = Date(timeIntervalSince1970: 1_795_313_073.123)
        #expect(LedgerTime.format(date) == "2026-11-22T02:04:33.123Z")
        #expect(abs(LedgerTime.parse("2026-11-22T02:04:33.123Z")!.timeIntervalSince(date)) < 0.000_001)
        #expect(LedgerTime.parse("2026-11-22 02:04:33") == Date(timeIntervalSince1970: 1_795_313_073))
        #expect(LedgerTime.dayStamp(date) == "20261122")
        #expect(LedgerTime.parseDayStamp("20261122") == Date(timeIntervalSince1970: 1_795_305_600))
        #expect(LedgerTime.startOfDay(date) == Date(timeIntervalSince1970: 1_795_305_600))
        #expect(LedgerTime.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
    }

    /// One codec for the writer, the reader and the review: what `report --from` and the API's `from=` accept
    /// parses here too, and what is not a time (or is out of range) is refused rather than read as another day.
    @Test func parsesEveryFormTheReviewAccepts() {
        let midnight = Date(timeIntervalSince1970: 1_795_305_600)
        #expect(LedgerTime.parse("2026-11-22") == midnight)
        #expect(LedgerTime.parse("2026-11-22T00:00:00Z") == midnight)
        #expect(LedgerTime.parse("2026-11-22T00:00:00+00") == midnight)
        #expect(LedgerTime.parse("2026-11-22T00:00:00+00:00") == midnight)
        #expect(LedgerTime.parse("2026-11-22T00:00:00.5Z") == midnight.addingTimeInterval(0.5))
        #expect(abs(LedgerTime.parse("2026-11-22T00:00:00.123456Z")!.timeIntervalSince(midnight) - 0.123_456) < 0.000_000_1)
        for refused in ["2026-13-01", "2026-11-32", "2026-11-22T24:00:00Z", "2026-11-22T10:00:00+02:00", "2026/11/22", "yesterday", ""] {
            #expect(LedgerTime.parse(refused) == nil, "\(refused)")
        }
    }

    /// The reference for `format`, which writes every stored time by hand: `gmtime_r`, as it used to be written.
    static func reference(millisecondsSince1970 totalMillis: Int64) -> String {
        var seconds = time_t(totalMillis >= 0 ? totalMillis / 1000 : (totalMillis - 999) / 1000)
        let millis = Int(totalMillis - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T\(pad(parts.tm_hour, 2)):"
            + "\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }

    @Test("any millisecond from 1900 to 2200 formats as gmtime_r says, and parses back")
    func agreesWithTheCLibrary() {
        var generator = SystemRandomNumberGenerator()
        let from: Int64 = -2_208_988_800_000  // 1900-01-01
        // Until 2200: later, a `Date` holds a time to no better than a microsecond.
        let to: Int64 = 7_258_118_400_000  // 2200-01-01
        var milliseconds = (0..<20_000).map { _ in Int64.random(in: from..<to, using: &generator) }
        // Edges: the epoch and just before it, leap days, the ends of months and years.
        milliseconds += [
            "1970-01-01T00:00:00.000Z", "1969-12-31T23:59:59.999Z", "2000-02-29T12:00:00.500Z", "1900-02-28T23:59:59.999Z",
            "2024-02-29T00:00:00.001Z", "2100-03-01T00:00:00.000Z", "2026-12-31T23:59:59.999Z",
        ].map { Int64((LedgerTime.parse($0)!.timeIntervalSince1970 * 1000).rounded()) }
        for ms in milliseconds {
            let text = LedgerTime.format(Date(timeIntervalSince1970: Double(ms) / 1000))
            #expect(text == Self.reference(millisecondsSince1970: ms))
            #expect(LedgerTime.parse(text).map(LedgerTime.format) == text)
        }
    }
}
