import Logging
import TapCompareCore
import ServiceLifecycle

/// Opens the store a ``LedgerURL`` names.
public enum LedgerStores {
    /// The store for `url`, not yet running: run it as a `Service` (or use ``withStore(url:logger:_:)``).
    public static func make(url: LedgerURL, logger: Logger) -> any LedgerStore {
        switch url.backend {
        case .postgres(let postgres):
            return PostgresLedgerStore(postgres: postgres, logger: logger)
        case .sqlite(let path):
            return SQLiteLedgerStore(path: path, logger: logger)
        }
    }

    /// Runs a store for the duration of `body` (for commands and tests that are not a `ServiceGroup`).
    public static func withStore<T: Sendable>(
        url: LedgerURL,
        logger: Logger,
        _ body: @Sendable (any LedgerStore) async throws -> T
    ) async throws -> T {
        let store = Self.make(url: url, logger: logger)
        return try await withRunningService(store) { try await body(store) }
    }
}

extension LedgerStores {
    /// Runs a store and a ``LedgerWriter`` for the duration of `body` (commands such as `replay`, benchmarks and
    /// tests that are not a `ServiceGroup`). When `body` returns or throws, the writer stops accepting records,
    /// writes or spools what is queued, and the store is stopped.
    ///
    /// - Throws: what `body` throws, or ``LedgerError`` when the writer cannot start (configuration, spool lock).
    public static func withWriter<T: Sendable>(
        configuration: LedgerConfiguration,
        logger: Logger,
        metrics: LedgerMetrics = LedgerMetrics(),
        bodyDecoder: (any ContentDecoding)? = nil,
        _ body: @Sendable (LedgerWriter) async throws -> T
    ) async throws -> T {
        try await Self.withWriter(configuration: configuration, logger: logger, metrics: metrics, bodyDecoder: bodyDecoder, spoolCalls: .system, body)
    }

    /// ``withWriter(configuration:logger:metrics:bodyDecoder:_:)`` with the system calls that write the spool
    /// (tests pass ones that fail as disks do).
    static func withWriter<T: Sendable>(
        configuration: LedgerConfiguration,
        logger: Logger,
        metrics: LedgerMetrics,
        bodyDecoder: (any ContentDecoding)? = nil,
        spoolCalls: SpoolFileCalls,
        _ body: @Sendable (LedgerWriter) async throws -> T
    ) async throws -> T {
        let store = Self.make(url: configuration.url, logger: logger)
        let writer = try LedgerWriter(
            configuration: configuration, store: store, logger: logger, metrics: metrics, bodyDecoder: bodyDecoder, spoolCalls: spoolCalls
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            async let writing: Void = writer.run()
            let result: T
            do {
                result = try await body(writer)
            } catch {
                writer.shutdown()
                try? await writing
                group.cancelAll()
                throw error
            }
            writer.shutdown()
            try await writing
            group.cancelAll()
            return result
        }
    }
}
