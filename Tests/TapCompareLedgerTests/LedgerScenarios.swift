import Foundation
import NIOCore
import NIOHTTP1
import SQLiteNIO
import TapCompareCore
import TapCompareTestSupport
import Testing
@testable import TapCompareLedger

/// The ledger's behaviour, written once and run on both backends by ``SQLiteLedgerTests`` and
/// ``PostgresLedgerTests``: each scenario gets its own empty database.
enum LedgerScenarios {
    static func migrationsFromEmptyAndRerun(_ backend: Backend) async throws {
        let url = try await backend.freshURL()
        try await Harness.withStore(url) { store in
            #expect(try await store.schemaVersion() == 0)
            let first = try await store.migrate()
            #expect(first == [1, 2, 3, 4, 5, 6, 7, 8])
            #expect(try await store.schemaVersion() == 8)
            let second = try await store.migrate()
            #expect(second.isEmpty, "a second migrate applies nothing")
            #expect(try await store.counts() == LedgerCounts(comparisons: 0, discrepancies: 0, gaps: 0, droppedInGaps: 0))
        }
        // A second process (another connection pool) sees the schema and applies nothing either.
        let again = try await Harness.withStore(url) { try await $0.migrate() }
        #expect(again.isEmpty)
    }

    /// A ledger a newer TapCompare migrated (its `schema_migrations` holds a version this build does not know) is
    /// refused by `migrate()` — which `ledger migrate` and the writer run before their first write — with the
    /// versions and what to do, and nothing is applied or written to it.
    static func newerSchemaIsRefused(_ backend: Backend, markNewer: @escaping @Sendable (LedgerURL) async throws -> Void) async throws {
        let url = try await backend.freshURL()
        let known = try await Harness.withStore(url) { store in try await store.migrate().last ?? 0 }
        try await markNewer(url)
        try await Harness.withStore(url) { store async throws in
            let error = await #expect(throws: LedgerError.self) { try await store.migrate() }
            let text = error?.description ?? ""
            #expect(text.contains("has schema version 99, newer than this tapcompare's \(known)"), "\(text)")
            #expect(text.contains("Run the tapcompare that migrated it"), "\(text)")
            #expect(try await store.schemaVersion() == 99)
            #expect(try await store.counts().comparisons == 0)
        }
    }

    /// A version-6 ledger holding rows is upgraded by migration 7: its rows keep no candidate version, rows written
    /// afterwards store theirs, and a batch without versions (an older writer's) is still taken.
    static func migration7AddsCandidateVersions(_ backend: Backend) async throws {
        let url = try await backend.freshURL()
        let encoder = LedgerRecordEncoder(redactor: try Redactor(configuration: .init()), instance: "i-1", maxSampleBytes: 1024)
        let old = (0..<3).map { encoder.encode(SyntheticComparisons.make(index: $0)) }
        try await Harness.withStore(url) { store in
            try await Harness.withReader(url) { reader in
                if let pg = store as? PostgresLedgerStore {
                    #expect(try await pg.migrate(upTo: 6) == [1, 2, 3, 4, 5, 6])
                } else {
                    let sqlite = try #require(store as? SQLiteLedgerStore)
                    #expect(try await sqlite.migrate(upTo: 6) == [1, 2, 3, 4, 5, 6])
                }
                try await store.insert(old)
                #expect(try await store.schemaVersion() == 6)
                #expect(try await store.migrate() == [7, 8])
                #expect(try await store.schemaVersion() == 8)
                #expect(try await reader.comparison(id: old[0].id)?.candidateVersion == nil)
                #expect(try await reader.comparison(id: old[0].id)?.route == old[0].route)

                var versioned = SyntheticComparisons.make(index: 10)
                versioned.candidateVersion = CandidateVersion(header: "X-Version", value: "2.4.1")
                let mixed = [encoder.encode(versioned), encoder.encode(SyntheticComparisons.make(index: 11))]
                try await store.insert(mixed)
                try await store.insert([encoder.encode(SyntheticComparisons.make(index: 12))])
                #expect(try await reader.comparison(id: mixed[0].id)?.candidateVersion == "2.4.1")
                #expect(try await reader.comparison(id: mixed[1].id)?.candidateVersion == nil)
                #expect(try await store.counts().comparisons == 6)
            }
        }
    }

    /// An instance's published learned-noise model replaces its previous one and leaves other instances' alone.
    static func noiseModelPublishing(_ backend: Backend) async throws {
        let url = try await backend.freshURL()
        try await Harness.withStore(url) { store in
            try await Harness.withReader(url) { reader in
                _ = try await store.migrate()
                #expect(try await reader.noiseModels().isEmpty)
                let t0 = Date(timeIntervalSince1970: 1_790_000_000)
                var a = LedgerNoiseModel(
                    instance: "host-a:1", updatedAt: t0, learning: true, minShare: 0.5, minSamples: 20, window: 200,
                    estimates: [
                        .init(route: "GET /api/v1/comments/{id}", field: "$.request_id", noisyIn: 40, samples: 40),
                        .init(route: "GET /api/v1/comments/{id}", field: "$.score", noisyIn: 3, samples: 40),
                    ]
                )
                try await store.publishNoiseModel(a)
                let b = LedgerNoiseModel(instance: "host-b:2", updatedAt: t0.addingTimeInterval(5), learning: false, minShare: 0.8, minSamples: 5, window: 50, estimates: [])
                try await store.publishNoiseModel(b)
                var models = try await reader.noiseModels()
                #expect(models.map(\.instance) == ["host-b:2", "host-a:1"], "newest first")
                #expect(models.last == a)
                #expect(models.first == b)

                // The next snapshot of host-a replaces its estimates (one dropped out of the window, one changed).
                a.updatedAt = t0.addingTimeInterval(30)
                a.minShare = 0.6
                a.estimates = [.init(route: "GET /api/v1/comments/{id}", field: "$.request_id", noisyIn: 38, samples: 50)]
                try await store.publishNoiseModel(a)
                models = try await reader.noiseModels()
                #expect(models.first == a)
                #expect(models.first?.estimates.count == 1)
                #expect(models.first.map { $0.classifiesAsNoise($0.estimates[0]) } == true)
                #expect(models.last == b, "another instance's model is left alone")
            }
        }
    }

    static func insertRoundTripsAndIsIdempotent(_ backend: Backend) async throws {
        let url = try await backend.freshURL()
        let encoder = LedgerRecordEncoder(redactor: try Redactor(configuration: .init()), instance: "i-1", maxSampleBytes: 1024)
        let rows = (0..<250).map { encoder.encode(SyntheticComparisons.make(index: $0)) }
        try await Harness.withStore(url) { store in
            try await Harness.withReader(url) { reader in
                _ = try await store.migrate()
                try await store.insert(rows)
                try await store.insert(Array(rows[100..<200]))  // a replayed batch
                // A batch that was inserted, then replayed from its spool frame by a process restarted after a SIGKILL
                // between the insert's commit and the spool's clean-up: the frame keeps `recorded_at` to the
                // millisecond, so the rows hit the same keys and are stored and counted once.
                try await store.insert(try LedgerSpoolCodec.decode(LedgerSpoolCodec.encode(Array(rows[0..<50]))))
                #expect(try await store.counts() == LedgerCounts(comparisons: 250, discrepancies: 750, gaps: 0, droppedInGaps: 0))
                #expect(try await RollupSnapshot.read(store) == RollupSnapshot(expected: rows), "the replayed batch is not counted twice")
                let original = rows[7]
                let stored = try #require(try await reader.comparison(id: original.id))
                #expect(abs(stored.recordedAt.timeIntervalSince(original.recordedAt)) < 0.000_5)
                #expect(stored.route == original.route)
                #expect(stored.path == original.path)
                #expect(stored.outcome == "mismatch")
                #expect(stored.legacyStatus == 200 && stored.candidateStatus == 200)
                #expect(stored.legacyMilliseconds == original.legacyMilliseconds)
                #expect(stored.discrepancyCount == 3 && stored.regressionCount == 3)
                #expect(stored.requestSample == original.requestSample)
                #expect(stored.legacySample == original.legacySample)
                #expect(stored.discrepancies.map(\.field) == ["$.score", "$.text", "$.created_at"])
                #expect(stored.discrepancies[1].legacyValue == #""hello""#)
                #expect(stored.discrepancies[1].candidateValue == #""hello ""#)
                #expect(try await reader.comparison(id: UUID()) == nil)

                let stored2 = try await reader.insertAnnotation(LedgerAnnotation(route: original.route, field: "$.text", classification: "noise", note: "trailing space"))
                let annotations = try await reader.annotations(limit: 10)
                #expect(annotations.map(\.id) == [stored2.id])
                #expect(annotations == [stored2], "the insert returns the row as stored")
                #expect(annotations.first?.classification == "noise" && annotations.first?.kind == nil && annotations.first?.note == "trailing space")
                await #expect(throws: LedgerError.self, "a classification outside regression/noise/race is refused") {
                    _ = try await reader.insertAnnotation(LedgerAnnotation(route: "r", field: "f", classification: "meh"))
                }
            }
        }
    }

    /// Two writers (two instances) at once: every comparison of both is stored, none collides.
    static func concurrentWriters(_ backend: Backend) async throws {
        let url = try await backend.freshURL()
        _ = try await Harness.withStore(url) { try await $0.migrate() }
        let perWriter = 3_000
        try await withThrowingTaskGroup(of: Void.self) { group in
            for instance in ["proxy-a", "proxy-b"] {
                group.addTask {
                    try await Harness.withWriter(Harness.configuration(url: url, instance: instance)) { writer in
                        // Several producer tasks per writer, as proxy event loops would be.
                        await withTaskGroup(of: Void.self) { producers in
                            for p in 0..<4 {
                                producers.addTask {
                                    for i in stride(from: p, to: perWriter, by: 4) {
                                        writer.record(SyntheticComparisons.make(index: i))
                                    }
                                }
                            }
                        }
                        // Both writers stay up until everything is in. On SQLite a batch that finds the other
                        // writer holding the lock past busy_timeout (a slow build) is spooled and replayed by the
                        // running writer; one shut down first would leave it for its next start.
                        try await Harness.waitUntil("both writers' \(2 * perWriter) comparisons are in the ledger") {
                            try await Harness.counts(url).comparisons >= 2 * perWriter
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let counts = try await Harness.counts(url)
        #expect(counts.comparisons == 2 * perWriter)
        #expect(counts.discrepancies == 2 * perWriter * 3)
        #expect(counts.gaps == 0)
        try await RollupCheck.expectConsistent(url)
    }

    /// Everything recorded while the ledger is down or refusing arrives once it is back: rows = comparisons made.
    static func outage(
        _ backend: Backend,
        url: LedgerURL,
        goDown: @Sendable () async throws -> Void,
        comeBack: @Sendable () async throws -> Void
    ) async throws {
        _ = try await Harness.withStore(url) { try await $0.migrate() }
        let (spooled, replayed, dropped) = try await Harness.withWriter(Harness.configuration(url: url, batchSize: 50, writeTimeout: .seconds(3))) { writer in
            for i in 0..<500 { writer.record(SyntheticComparisons.make(index: i)) }
            try await Harness.waitUntil("the first 500 are written") { writer.metrics.snapshot.written >= 500 }
            try await goDown()
            for i in 500..<1_500 { writer.record(SyntheticComparisons.make(index: i)) }
            try await Harness.waitUntil("the next 1,000 are spooled") { writer.metrics.snapshot.spooled >= 1_000 }
            try await comeBack()
            for i in 1_500..<2_000 { writer.record(SyntheticComparisons.make(index: i)) }
            try await Harness.waitUntil("the spool is replayed") {
                let s = writer.metrics.snapshot
                return writer.spool.isEmpty && s.replayed == s.spooled && s.written == 2_000
            }
            let s = writer.metrics.snapshot
            return (s.spooled, s.replayed, s.droppedTotal)
        }
        #expect(spooled >= 1_000)
        #expect(replayed == spooled)
        #expect(dropped == 0)
        let counts = try await Harness.counts(url)
        #expect(counts.comparisons == 2_000)
        #expect(counts.discrepancies == 6_000)
        #expect(counts.gaps == 0)
        // Batches written, spooled, replayed (some perhaps twice): each comparison counted once in the rollups.
        try await RollupCheck.expectConsistent(url)
    }

    /// A ledger down from the start with a small spool: what fits is spooled and replayed, the rest is dropped,
    /// counted, and written as one gap row once the ledger is back.
    static func spoolCapAndGap(
        _ backend: Backend,
        downURL: LedgerURL,
        readURL: @Sendable () async throws -> LedgerURL,
        comeBack: @Sendable () async throws -> Void
    ) async throws {
        var configuration = Harness.configuration(url: downURL, batchSize: 10, spoolMaxBytes: 120_000, writeTimeout: .seconds(3))
        configuration.queueCapacity = 5_000
        let recorded = 1_000
        let snapshot = try await Harness.withWriter(configuration) { writer in
            for i in 0..<recorded { writer.record(SyntheticComparisons.make(index: i)) }
            try await Harness.waitUntil("all 1,000 are spooled or dropped") {
                let s = writer.metrics.snapshot
                return s.spooled + s.droppedTotal == recorded
            }
            try await comeBack()
            try await Harness.waitUntil("the spool is replayed and the gap written") {
                let s = writer.metrics.snapshot
                return writer.spool.isEmpty && s.replayed == s.spooled && s.gapsWritten == 1
            }
            return writer.metrics.snapshot
        }
        #expect(snapshot.spooled > 0, "some batches fit in the spool")
        #expect(snapshot.dropped["spool_full"] ?? 0 > 0, "the rest was dropped")
        #expect(snapshot.spooled + snapshot.droppedTotal == recorded)
        let url = try await readURL()
        let (counts, gaps) = try await Harness.withStore(url) { store in (try await store.counts(), try await store.gaps()) }
        #expect(counts.comparisons == snapshot.spooled)
        #expect(counts.gaps == 1)
        let gap = try #require(gaps.first)
        #expect(gap.count == snapshot.droppedTotal)
        #expect(gap.reason == "spool_full")
        #expect(gap.instance == "test")
        #expect(gap.from <= gap.to)
        try await RollupCheck.expectConsistent(url)
    }

    /// A ledger down from the start whose spool takes nothing: every comparison is dropped, and the gap row is
    /// written once the ledger is back, with no further traffic (the first write the ledger gets is the gap row,
    /// so it migrates first).
    static func gapWithoutLaterTraffic(downURL: LedgerURL, comeBack: @Sendable () async throws -> Void) async throws {
        let configuration = Harness.configuration(url: downURL, batchSize: 10, spoolMaxBytes: 1, writeTimeout: .seconds(3))
        let recorded = 50
        let snapshot = try await Harness.withWriter(configuration) { writer in
            for i in 0..<recorded { writer.record(SyntheticComparisons.make(index: i)) }
            try await Harness.waitUntil("all 50 are dropped") { writer.metrics.snapshot.droppedTotal == recorded }
            try await comeBack()
            try await Harness.waitUntil("the gap row is written without more traffic") { writer.metrics.snapshot.gapsWritten == 1 }
            return writer.metrics.snapshot
        }
        #expect(snapshot.dropped["spool_full"] == recorded)
        let (counts, gaps) = try await Harness.withStore(downURL) { store in (try await store.counts(), try await store.gaps()) }
        #expect(counts.comparisons == 0)
        #expect(gaps.map(\.count) == [recorded])
        #expect(gaps.first?.reason == "spool_full")
    }

    /// A writer process killed with SIGKILL while spooling loses nothing it reported durable: the next writer
    /// on the same spool replays it all, exactly once.
    static func sigkill(_ backend: Backend, downURL: LedgerURL, url: LedgerURL) async throws {
        let spool = Harness.temporaryDirectory() + "/spool"
        let binary = try Paths.tapcompareBinary()
        // Its progress lines ("durable N") go to a file, read as the child writes it.
        let output = Harness.temporaryDirectory() + "/generate.out"
        let process = try SpawnedProcess.start(
            [binary, "ledger", "generate", "--ledger", downURL.descriptionWithPassword, "--spool-dir", spool, "--count", "1000000", "--rate", "20000"],
            standardOutput: .file(output)
        )
        let lines = DurableProgress(path: output)
        do {
            try await Harness.waitUntil("the child has made 3,000 comparisons durable", timeout: .seconds(60)) {
                lines.lastDurable >= 3_000
            }
        } catch {
            process.signal(SIGKILL)
            _ = try? await process.waitForExit()
            throw error
        }
        process.signal(SIGKILL)
        let status = try await process.waitForExit()
        #expect(status == 128 + SIGKILL, "the child was killed, not finished")
        let durable = lines.lastDurable

        _ = try await Harness.withStore(url) { try await $0.migrate() }
        let replayed = try await Harness.withWriter(Harness.configuration(url: url, spoolDirectory: spool)) { writer in
            try await Harness.waitUntil("the leftover spool is replayed") { writer.spool.isEmpty && writer.metrics.snapshot.replayed > 0 }
            return writer.metrics.snapshot.replayed
        }
        let counts = try await Harness.counts(url)
        #expect(counts.comparisons >= durable, "every comparison reported durable before the kill is in the ledger")
        #expect(counts.comparisons == replayed)
        #expect(counts.discrepancies == 3 * counts.comparisons, "no comparison is stored without its discrepancies")
        try await RollupCheck.expectConsistent(url)
    }

    /// Secrets never reach the database: headers, query parameters, JSON paths in bodies and discrepancies.
    static func redaction(_ backend: Backend) async throws {
        let url = try await backend.freshURL()
        let redaction = RedactionConfiguration(headers: ["X-Api-Key"], jsonPaths: ["$.author", "$.text"], queryParameters: ["token"])
        var record = SyntheticComparisons.make(index: 40)
        record.request?.headers.add(name: "X-Api-Key", value: "k-123")
        record.request?.headers.add(name: "Cookie", value: "session=abc")
        record.discrepancies.append(Discrepancy(path: "", field: "header:set-cookie", kind: .header, legacyValue: #""sid=1""#, candidateValue: #""sid=2""#))
        let id = record.id
        let finished = record
        // Migrated first: the writer's start-up migration shares the 3 s write timeout with its first batch, which
        // a loaded machine running every suite at once can exceed (the record would then wait in the spool).
        _ = try await Harness.withStore(url) { try await $0.migrate() }
        try await Harness.withWriter(Harness.configuration(url: url, redaction: redaction)) { writer in
            writer.record(finished)
        }
        let stored = try #require(try await Harness.withReader(url) { try await $0.comparison(id: id) })
        let request = try #require(stored.requestSample)
        #expect(request.contains("Authorization: [REDACTED]"))
        #expect(request.contains("X-Api-Key: [REDACTED]"))
        #expect(request.contains("Cookie: [REDACTED]"))
        #expect(!request.contains("synthetic-40") && !request.contains("k-123") && !request.contains("abc"))
        #expect(request.contains("token=[REDACTED]"))
        #expect(!request.contains("secret40"))
        #expect(request.contains("Accept: application/json"), "other headers are kept")
        #expect(stored.path == "/api/v1/comments/40?page=2&token=[REDACTED]")
        let legacy = try #require(stored.legacySample)
        #expect(!legacy.contains("ada") && !legacy.contains("hello"))
        #expect(legacy.contains("\"score\""), "other fields are kept")
        let text = try #require(stored.discrepancies.first { $0.field == "$.text" })
        #expect(text.legacyValue == #""[REDACTED]""# && text.candidateValue == #""[REDACTED]""#)
        let score = try #require(stored.discrepancies.first { $0.field == "$.score" })
        #expect(score.legacyValue == "40")
        let cookie = try #require(stored.discrepancies.first { $0.field == "header:set-cookie" })
        #expect(cookie.legacyValue == #""[REDACTED]""#)
    }

    static func prune(_ backend: Backend) async throws {
        let url = try await backend.freshURL()
        let encoder = LedgerRecordEncoder(redactor: try Redactor(configuration: .init()), instance: "i", maxSampleBytes: 0)
        let now = Date()
        let old = (0..<20).map { encoder.encode(SyntheticComparisons.make(index: $0, at: now.addingTimeInterval(-40 * 86_400))) }
        let recent = (20..<30).map { encoder.encode(SyntheticComparisons.make(index: $0, at: now)) }
        let result = try await Harness.withStore(url) { store in
            _ = try await store.migrate()
            try await store.insert(old + recent)
            #expect(try await store.counts().comparisons == 30)
            return try await store.prune(olderThan: now.addingTimeInterval(-30 * 86_400))
        }
        let counts = try await Harness.counts(url)
        #expect(counts.comparisons == 10)
        #expect(counts.discrepancies == 30)
        switch backend {
        case .sqlite:
            #expect(result.deletedComparisons == 20)
        case .postgres:
            let day = LedgerTime.dayStamp(now.addingTimeInterval(-40 * 86_400))
            #expect(Set(result.droppedPartitions) == ["comparisons_p\(day)", "discrepancies_p\(day)"])
        }
        // The rollups of the pruned hours went with the rows.
        try await RollupCheck.expectConsistent(url)
        let left = try await Harness.withStore(url) { try await RollupSnapshot.read($0) }
        #expect(left == RollupSnapshot(expected: recent))
    }
}

extension LedgerURL {
    /// The URL including its password, for handing to a child process in tests.
    var descriptionWithPassword: String {
        switch self.backend {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let pg):
            return "postgres://\(pg.username):\(pg.password ?? "")@\(pg.host):\(pg.port)/\(pg.database)?sslmode=\(pg.sslMode.rawValue)"
        }
    }
}

/// The last "durable N" line `tapcompare ledger generate` has written to its output file so far.
struct DurableProgress {
    var path: String

    /// Only whole lines count: the child may be writing the last one.
    var lastDurable: Int {
        guard let text = try? String(contentsOfFile: self.path, encoding: .utf8) else { return 0 }
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().reduce(0) { durable, line in
            guard line.hasPrefix("durable "), let n = Int(line.dropFirst("durable ".count)) else { return durable }
            return max(durable, n)
        }
    }
}
