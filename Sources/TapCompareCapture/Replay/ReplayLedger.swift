import Logging
import TapCompareCore
import TapCompareComparison
import TapCompareLedger

/// The ledger a replay records to (`--ledger`, default `sqlite:tapcompare.sqlite`), with the run's id on every row.
public enum ReplayLedger {
    /// Runs a ledger writer for the duration of `body`; when `body` returns, everything queued is written (or
    /// spooled, to be written by the next run) before this returns.
    /// - Throws: ``ReplayError`` for a ledger URL that cannot be parsed, and what `body` throws.
    /// - Parameter spoolDirectory: where batches wait while the ledger is unreachable. Default: the ledger's
    ///   default, `tapcompare-spool`.
    /// How long one batch write may take before the batch is spooled instead. A live proxy keeps this short (5 s)
    /// so a stalled ledger never backs up its queue; a replay is a batch job whose ledger is its result, and a
    /// comparison spooled on a busy CI machine would be missing from the report the job exists to write.
    public static let writeTimeout: Duration = .seconds(60)

    public static func withSink<T: Sendable>(
        url: String,
        spoolDirectory: String? = nil,
        logger: Logger,
        _ body: @Sendable (_ sink: any ComparisonRecordSink, _ isBusy: @escaping @Sendable () -> Bool) async throws -> T
    ) async throws -> T {
        let parsed: LedgerURL
        do {
            parsed = try LedgerURL(parsing: url)
        } catch {
            throw ReplayError.badArgument("--ledger: \(error)")
        }
        var configuration = LedgerConfiguration(url: parsed)
        if let spoolDirectory { configuration.spoolDirectory = spoolDirectory }
        configuration.writeTimeout = Self.writeTimeout
        let capacity = configuration.queueCapacity
        return try await LedgerStores.withWriter(configuration: configuration, logger: logger, bodyDecoder: BodyDecoder()) { writer in
            return try await body(writer) { writer.queueDepth > capacity / 2 }
        }
    }
}
