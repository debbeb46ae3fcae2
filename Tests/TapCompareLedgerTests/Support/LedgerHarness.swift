import Foundation
import Logging
import Metrics
import TapCompareTestSupport
import Testing
@testable import TapCompareLedger

/// Which database a scenario runs against; the same scenarios run on both.
enum Backend: String, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { self.rawValue }

    /// An empty ledger of this kind, not shared with any other test.
    func freshURL() async throws -> LedgerURL {
        switch self {
        case .sqlite:
            return LedgerURL(backend: .sqlite(path: Harness.temporaryDirectory() + "/ledger.sqlite"))
        case .postgres:
            return try await TestPostgres.freshDatabase()
        }
    }
}

enum Harness {
    static func temporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tapcompare-ledger-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func configuration(
        url: LedgerURL,
        spoolDirectory: String = Harness.temporaryDirectory() + "/spool",
        batchSize: Int = 100,
        spoolMaxBytes: Int = 64 << 20,
        instance: String = "test",
        redaction: RedactionConfiguration = RedactionConfiguration(),
        writeTimeout: Duration = .seconds(30)
    ) -> LedgerConfiguration {
        LedgerConfiguration(
            url: url, spoolDirectory: spoolDirectory, spoolMaxBytes: spoolMaxBytes, batchSize: batchSize,
            flushInterval: .milliseconds(20), writeTimeout: writeTimeout, retryInterval: .milliseconds(200),
            instance: instance, redaction: redaction
        )
    }

    /// Runs a store and a writer for `body`, then shuts the writer down (it drains) and stops the store.
    static func withWriter<T: Sendable>(
        _ configuration: LedgerConfiguration,
        _ body: @Sendable (LedgerWriter) async throws -> T
    ) async throws -> T {
        // Not exported to the process-wide registry: the writers here drop on purpose (spool_full, queue_full), and
        // the fault-injection tests read `tapcompare_ledger_dropped_total` from `/metrics` in the same process.
        try await LedgerStores.withWriter(configuration: configuration, logger: .test, metrics: LedgerMetrics(factory: NOOPMetricsHandler.instance), body)
    }

    /// ``withWriter(_:_:)`` with the system calls that write the spool: ``FailingDisk/calls`` to make it fail;
    /// `logger` receives the writer's log (a ``CapturedLog`` to assert what an operator would read).
    static func withWriter<T: Sendable>(
        _ configuration: LedgerConfiguration,
        spoolCalls: SpoolFileCalls,
        logger: Logger = .test,
        _ body: @Sendable (LedgerWriter) async throws -> T
    ) async throws -> T {
        try await LedgerStores.withWriter(
            configuration: configuration, logger: logger, metrics: LedgerMetrics(factory: NOOPMetricsHandler.instance), spoolCalls: spoolCalls, body
        )
    }

    static func withStore<T: Sendable>(_ url: LedgerURL, _ body: @Sendable (any LedgerStore) async throws -> T) async throws -> T {
        try await LedgerStores.withStore(url: url, logger: .test, body)
    }

    /// Runs a reader of the ledger at `url` for `body` (what reports and the UI read through).
    static func withReader<T: Sendable>(_ url: LedgerURL, _ body: @Sendable (LedgerReader) async throws -> T) async throws -> T {
        try await LedgerReaders.withReader(url: url, logger: .test, body)
    }

    static func counts(_ url: LedgerURL) async throws -> LedgerCounts {
        try await Self.withStore(url) { try await $0.counts() }
    }

    /// Polls `condition` every 20 ms until it holds; fails after `timeout` saying what was awaited.
    static func waitUntil(
        _ what: String,
        timeout: Duration = .seconds(45),
        sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: @Sendable () async throws -> Bool
    ) async throws {
        if try await pollUntil(timeout: timeout, poll: .milliseconds(20), condition) { return }
        Issue.record("timed out waiting until \(what)", sourceLocation: sourceLocation)
        throw TestSetupError("timed out waiting until \(what)")
    }
}
