import NIOConcurrencyHelpers

/// Asks a running replay to stop scheduling (SIGINT during `--loop`): requests already in flight are answered
/// and counted, the summary and reports are written as for a finished run.
///
/// Not task cancellation: cancelling the replay's task would cancel the requests in flight too, and they would
/// be counted as candidate errors that the candidate never made.
public final class ReplayStopSignal: Sendable {
    private let stopped = NIOLockedValueBox(false)

    public init() {}

    public func stop() { self.stopped.withLockedValue { $0 = true } }

    public var isStopped: Bool { self.stopped.withLockedValue { $0 } }
}
