import Logging
import ServiceLifecycle
import UnixSignals

/// Runs an action on every SIGHUP (reloading `diff-rules/`), until graceful shutdown.
///
/// The action decides what a failed reload means; for rules the old set stays in force and a log line says why.
public struct SignalReloadService: Service {
    let action: @Sendable () async -> Void
    let logger: Logger

    public init(logger: Logger, action: @escaping @Sendable () async -> Void) {
        self.action = action
        self.logger = logger
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await withGracefulShutdownHandler {
            for await _ in signals.cancelOnGracefulShutdown() {
                self.logger.info("SIGHUP: reloading")
                await self.action()
            }
        } onGracefulShutdown: {}
    }
}
