import Foundation
import Logging
import TapCompareTestSupport
import Testing
import TapCompareApp
import TapCompareComparison
import TapCompareLedger
import TapCompareReview

/// The learned-noise thresholds reach the report: `serve` publishes its model to the ledger and `report` shows the
/// thresholds in force and the fields they classify as noise, in every format.
@Suite(.timeLimit(.minutes(TestTiming.minutes(1)))) struct LearnedNoiseReportTests {
    static let route = "GET /api/v1/comments/{id}"

    /// A SQLite ledger in a temporary directory, migrated, with its store running for the body.
    func withLedger(_ body: @Sendable (LedgerURL, any LedgerStore) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tc-noise-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = try LedgerURL(parsing: "sqlite:\(directory.path)/ledger.sqlite")
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        try await LedgerStores.withStore(url: url, logger: logger) { store in
            try await body(url, store)
        }
    }

    func report(_ url: LedgerURL, _ query: ReportQuery = ReportQuery()) async throws -> Report {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return try await LedgerReaders.withReader(url: url, logger: logger) { db in
            try await LedgerReportSource(reader: db, ledgerDescription: url.description).report(query)
        }
    }

    @Test func thresholdsAndNoisyFieldsAppearInEveryFormat() async throws {
        try await self.withLedger { url, store in
            _ = try await store.migrate()
            let model = NoiseModel(configuration: .init(minShare: 0.5, minSamples: 5, window: 10))
            // Ten baselined comparisons: request_id differed in all, score in two (legacy's own churn).
            for i in 0..<10 {
                model.observe(route: Self.route, noisyFields: i < 2 ? ["$.request_id", "$.score"] : ["$.request_id"])
            }
            let publisher = NoiseModelPublisher(model: model, learning: true, instance: "host-a:7", store: store, logger: Logger(label: "test"))
            #expect(await publisher.publish())

            let report = try await self.report(url)
            let noise = try #require(report.learnedNoise)
            #expect(noise.models.map(\.instance) == ["host-a:7"])
            #expect(noise.models.first?.minShare == 0.5)
            #expect(noise.models.first?.minSamples == 5)
            #expect(noise.models.first?.window == 10)
            #expect(noise.fields.map(\.field) == ["$.request_id", "$.score"], "classified first, then by share")
            #expect(noise.fields.map(\.classifiedAsNoise) == [true, false])
            #expect(noise.fields.first?.noisyIn == 10)
            #expect(noise.fields.last?.share == 0.2)

            let table = TableRenderer(color: false).render(report)
            #expect(table.contains("Noise      learned: min_share 0.50, min_samples 5, window 10 — 1 field classified as noise"))
            #expect(table.contains("$.request_id"))
            #expect(table.contains("10 of 10"))
            let markdown = MarkdownRenderer().render(report)
            #expect(markdown.contains("| Learned noise | min_share 0.50, min_samples 5, window 10"))
            #expect(markdown.contains("## Learned noise"))
            let json = try ReportJSON.render(report)
            #expect(json.contains("\"learned_noise\""))
            #expect(json.contains("\"min_share\" : 0.5"))
            #expect(json.contains("\"classified_as_noise\" : true"))
            let html = HTMLReportRenderer().render(report, comparisons: [:])
            #expect(html.contains("id=\"learned-noise\""))

            // Another route's filter leaves this route's fields out but still shows the thresholds.
            let other = try await self.report(url, ReportQuery(route: "GET /elsewhere"))
            #expect(other.learnedNoise?.models.count == 1)
            #expect(other.learnedNoise?.fields.isEmpty == true)
        }
    }

    @Test func anInstanceWithoutABaselineSaysItLearnsNothing() async throws {
        try await self.withLedger { url, store in
            _ = try await store.migrate()
            let publisher = NoiseModelPublisher(model: NoiseModel(), learning: false, instance: "host-b:1", store: store, logger: Logger(label: "test"))
            #expect(await publisher.publish())
            let report = try await self.report(url)
            #expect(report.learnedNoise?.models.first?.learning == false)
            #expect(TableRenderer(color: false).render(report).contains("not learning (no baseline: set noise.replay_legacy or secondary:)"))
        }
    }

    @Test func aLedgerWithoutTheTablesReportsNoLearnedNoiseAndPublishingRecoversOnceMigrated() async throws {
        try await self.withLedger { url, store in
            let publisher = NoiseModelPublisher(model: NoiseModel(), learning: true, instance: "host-c:1", store: store, logger: Logger(label: "test"))
            #expect(await publisher.publish() == false, "no tables yet: the write fails, is counted, and is retried later")
            // The service waits for the writer's migrations instead of failing (and warning) on a fresh ledger:
            // started before them, it writes nothing until the tables exist, then publishes on its interval.
            let watched = WatchedLedgerStore(store)
            let running = NoiseModelPublisher(model: NoiseModel(), learning: true, instance: "host-c:1", store: watched, interval: .milliseconds(20), logger: Logger(label: "test"))
            let task = Task { try await running.run() }
            // The event, not a fixed time: the publisher found no tables twice (it went once round its wait between
            // the two looks), and wrote nothing meanwhile.
            try await eventually("the publisher looked at the fresh ledger's schema twice") { watched.calls.schemaVersion >= 2 }
            #expect(watched.calls.migrate == 0, "the publisher never migrates: that is the writer's job")
            #expect(watched.calls.publishNoiseModel == 0, "nothing is published before the tables exist")
            #expect(try await store.schemaVersion() == 0)
            _ = try await store.migrate()
            let published: Bool
            do {
                try await eventually("the publisher published once the tables exist") {
                    try await !LedgerReaders.withReader(url: url, logger: Logger(label: "test")) { try await $0.noiseModels() }.isEmpty
                }
                published = true
            } catch {
                published = false
            }
            task.cancel()
            // Wait for it: a publish still running when the store closes reopens its connection, and the store
            // is then deallocated with it open (SQLiteNIO's debug assertion crashed the whole test process).
            _ = await task.result
            #expect(published)
            #expect(try await self.report(url).learnedNoise?.models.map(\.instance) == ["host-c:1"])
        }
        // Migrated but never published to: no learned-noise section, rather than an empty one.
        try await self.withLedger { url, store in
            _ = try await store.migrate()
            #expect(try await self.report(url).learnedNoise == nil)
        }
    }
}
