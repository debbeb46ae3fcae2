import ArgumentParser
import Foundation
import Logging
import TapCompareCore
import TapCompareLedger

/// `tapcompare-bench ledger --ledger URL --count N`: comparisons per second through ``LedgerWriter`` into a real
/// ledger, each comparison a mismatch with 3 discrepancies and its samples (`--discrepancies 0`: matches, the
/// rows a healthy migration mostly writes — no discrepancy rows, no samples).
///
/// Records are generated before the clock starts (producing them is the proxy's work, not the ledger's). The
/// producer respects the queue's capacity (it pauses instead of overflowing it) so the figure is the writer's
/// sustained throughput, and the run fails if anything was dropped or spooled.
struct LedgerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Ledger write throughput: comparisons/s with 3 discrepancies each (or --discrepancies N)."
    )

    @Option(name: .long, help: "postgres://… or sqlite:PATH (an empty or scratch ledger).") var ledger: String
    @Option(name: .long) var count: Int = 200_000
    @Option(name: .long) var batchSize: Int = 1_000
    @Option(name: .long, help: "Discrepancies per comparison; 0 makes every comparison a match.") var discrepancies: Int = 3
    @Option(name: .long, help: "Write the result as one JSON line to this file.") var json: String?
    @Flag(name: .long, help: "Encode the next batch while the current one is written (LedgerConfiguration.encodeAhead on).")
    var encodeAhead = false
    @Option(name: .long, help: "Batches written at once (ledger.writers; default: the configuration's default).")
    var writers: Int?

    func run() async throws {
        var logger = Logger(label: "tapcompare.bench.ledger")
        logger.logLevel = .warning
        let url = try LedgerURL(parsing: self.ledger)
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("tapcompare-bench-spool-\(UUID().uuidString)").path
        var configuration = LedgerConfiguration(
            url: url, spoolDirectory: spool, batchSize: self.batchSize, queueCapacity: max(50_000, self.batchSize * 4),
            writeTimeout: .seconds(30), instance: "bench"
        )
        configuration.encodeAhead = self.encodeAhead
        if let writers = self.writers { configuration.writers = writers }
        try configuration.validate()
        let records = (0..<self.count).map { SyntheticComparisons.make(index: $0, discrepancies: self.discrepancies) }
        let metrics = LedgerMetrics()
        let capacity = configuration.queueCapacity
        let before = try await LedgerStores.withStore(url: url, logger: logger) { store in
            _ = try await store.migrate()
            return try await store.counts()
        }
        let count = self.count
        let elapsed: Duration = try await LedgerStores.withWriter(configuration: configuration, logger: logger, metrics: metrics) { writer in
            let start = ContinuousClock.now
            for record in records {
                while writer.queueDepth >= capacity - 1 {
                    try await Task.sleep(for: .microseconds(200))
                }
                writer.record(record)
            }
            while true {
                let s = writer.metrics.snapshot
                if s.written + s.droppedTotal + s.spooled >= count { break }
                try await Task.sleep(for: .milliseconds(1))
            }
            return ContinuousClock.now - start
        }
        let snapshot = metrics.snapshot
        let after = try await LedgerStores.withStore(url: url, logger: logger) { try await $0.counts() }
        try? FileManager.default.removeItem(atPath: spool)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Double(self.count) / seconds
        let stored = after.comparisons - before.comparisons
        let storedDiscrepancies = after.discrepancies - before.discrepancies
        let backend: String
        switch url.backend {
        case .postgres: backend = "postgres"
        case .sqlite: backend = "sqlite"
        }
        print(String(format: "%@: %d comparisons (%d discrepancies) in %.2f s = %.0f comparisons/s, %.0f discrepancies/s; %d batches, %d spooled, %d dropped, %d stored",
                     backend, self.count, storedDiscrepancies, seconds, rate, rate * Double(self.discrepancies),
                     snapshot.batches, snapshot.spooled, snapshot.droppedTotal, stored))
        if let json = self.json {
            let line = #"{"backend":"\#(backend)","count":\#(self.count),"batch_size":\#(self.batchSize),"seconds":\#(String(format: "%.3f", seconds)),"comparisons_per_second":\#(Int(rate)),"discrepancies_per_second":\#(Int(rate * Double(self.discrepancies))),"batches":\#(snapshot.batches),"spooled":\#(snapshot.spooled),"dropped":\#(snapshot.droppedTotal),"stored":\#(stored),"discrepancies_stored":\#(storedDiscrepancies),"encode_ahead":\#(self.encodeAhead),"writers":\#(configuration.writers)}"# + "\n"
            if let handle = FileHandle(forWritingAtPath: json) {
                handle.seekToEndOfFile()
                handle.write(Data(line.utf8))
                try handle.close()
            } else {
                try Data(line.utf8).write(to: URL(fileURLWithPath: json))
            }
        }
        guard snapshot.droppedTotal == 0, snapshot.spooled == 0, stored == self.count else {
            throw ValidationError("the run was not clean: \(snapshot.spooled) spooled, \(snapshot.droppedTotal) dropped, \(stored) of \(self.count) stored")
        }
    }
}
