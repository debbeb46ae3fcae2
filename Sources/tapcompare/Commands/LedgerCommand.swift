import ArgumentParser
import Foundation
import Logging
import TapCompareCore
import TapCompareLedger

/// `tapcompare ledger …`: schema migrations, retention and a status line for the diff ledger.
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Manage the diff ledger: migrate its schema, prune old comparisons, show what it holds.",
        subcommands: [Migrate.self, Prune.self, Status.self, Generate.self]
    )

    /// `--ledger URL`, shared by the subcommands.
    struct LedgerOption: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp(
            "The ledger: postgres://user:pass@host:5432/db?sslmode=prefer or sqlite:PATH.",
            valueName: "url"
        ))
        var ledger: String = LedgerURL.default.description

        func url() throws -> LedgerURL {
            do {
                return try LedgerURL(parsing: self.ledger)
            } catch {
                throw ValidationError("--ledger: \(error.message)")
            }
        }
    }

    static func logger() -> Logger {
        var logger = Logger(label: "tapcompare.ledger")
        logger.logLevel = ProcessInfo.processInfo.environment["TAPCOMPARE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or upgrade the ledger's schema (safe to run again).")
        @OptionGroup var options: LedgerOption

        func run() async throws {
            let url = try self.options.url()
            let applied = try await LedgerStores.withStore(url: url, logger: LedgerCommand.logger()) { store in
                let applied = try await store.migrate()
                return (applied, try await store.schemaVersion())
            }
            if applied.0.isEmpty {
                print("ledger \(url) is up to date (schema version \(applied.1))")
            } else {
                print("ledger \(url): applied migration(s) \(applied.0.map(String.init).joined(separator: ", ")); schema version \(applied.1)")
            }
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete comparisons older than a duration (Postgres drops whole day partitions).",
            discussion: "Example: tapcompare ledger prune --older-than 30d --ledger postgres://…"
        )
        @OptionGroup var options: LedgerOption
        @Option(name: .long, help: ArgumentHelp("Age beyond which comparisons are removed, e.g. 30d, 12h.", valueName: "duration"))
        var olderThan: String

        func validate() throws {
            guard let duration = DurationParser.parse(self.olderThan), duration > .zero else {
                throw ValidationError("--older-than '\(self.olderThan)' is not a duration; write e.g. '30d', '36h'")
            }
        }

        func run() async throws {
            let url = try self.options.url()
            let duration = DurationParser.parse(self.olderThan)!
            let cutoff = Date().addingTimeInterval(-duration.milliseconds / 1000)
            let result = try await LedgerStores.withStore(url: url, logger: LedgerCommand.logger()) { store in
                _ = try await store.migrate()
                return try await store.prune(olderThan: cutoff)
            }
            if let deleted = result.deletedComparisons {
                print("ledger \(url): deleted \(deleted) comparison(s) recorded before \(cutoff)")
            } else if result.droppedPartitions.isEmpty {
                print("ledger \(url): no day partition ends before \(cutoff); nothing dropped")
            } else {
                print("ledger \(url): dropped \(result.droppedPartitions.count) partition(s): \(result.droppedPartitions.joined(separator: ", "))")
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the ledger's schema version, row counts and gaps.")
        @OptionGroup var options: LedgerOption

        func run() async throws {
            let url = try self.options.url()
            let (version, counts, gaps) = try await LedgerStores.withStore(url: url, logger: LedgerCommand.logger()) { store in
                let version = try await store.schemaVersion()
                guard version > 0 else { return (0, LedgerCounts(comparisons: 0, discrepancies: 0, gaps: 0, droppedInGaps: 0), [LedgerGap]()) }
                return (version, try await store.counts(), try await store.gaps())
            }
            print("ledger:         \(url)")
            print("schema version: \(version)\(version == 0 ? " (empty: run 'tapcompare ledger migrate')" : "")")
            print("comparisons:    \(counts.comparisons)")
            print("discrepancies:  \(counts.discrepancies)")
            print("gaps:           \(counts.gaps) (\(counts.droppedInGaps) comparison(s) dropped)")
            for gap in gaps {
                print("  \(gap.from) … \(gap.to): \(gap.count == 0 ? "an unknown number" : "\(gap.count)") dropped (\(gap.reason)) by \(gap.instance)")
            }
        }
    }

    /// Writes synthetic comparisons through a real ``LedgerWriter`` and prints `durable N` each time the number of
    /// comparisons in the ledger or its spool grows. Hidden: the ledger's SIGKILL test runs it as a child process.
    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write synthetic comparisons through the ledger writer (for tests).",
            shouldDisplay: false
        )
        @OptionGroup var options: LedgerOption
        @Option(name: .long) var spoolDir: String
        @Option(name: .long) var count: Int = 100_000
        @Option(name: .long, help: "Comparisons per second (0: as fast as possible).") var rate: Int = 0
        @Option(name: .long) var instance: String = LedgerConfiguration.defaultInstanceName()

        func run() async throws {
            let configuration = LedgerConfiguration(
                url: try self.options.url(), spoolDirectory: self.spoolDir, batchSize: 200, writeTimeout: .seconds(2),
                retryInterval: .milliseconds(200), instance: self.instance
            )
            let count = self.count
            let rate = self.rate
            let metrics = LedgerMetrics()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    var reported = -1
                    while !Task.isCancelled {
                        let snapshot = metrics.snapshot
                        let durable = snapshot.written - snapshot.replayed + snapshot.spooled
                        if durable != reported {
                            // One write(2) per line: unbuffered, so a SIGKILL right after loses no report.
                            FileHandle.standardOutput.write(Data("durable \(durable)\n".utf8))
                            reported = durable
                        }
                        try await Task.sleep(for: .milliseconds(5))
                    }
                }
                try await LedgerStores.withWriter(configuration: configuration, logger: LedgerCommand.logger(), metrics: metrics) { writer in
                    let start = ContinuousClock.now
                    for i in 0..<count {
                        writer.record(SyntheticComparisons.make(index: i))
                        if rate > 0, i % 100 == 99 {
                            try await Task.sleep(until: start + .seconds(Double(i + 1) / Double(rate)), clock: .continuous)
                        }
                    }
                }
                let snapshot = metrics.snapshot
                print("done durable \(snapshot.written - snapshot.replayed + snapshot.spooled) dropped \(snapshot.droppedTotal)")
                group.cancelAll()
            }
        }
    }
}
