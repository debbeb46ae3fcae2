import Logging
import NIOConcurrencyHelpers

/// A log handler that keeps what is logged, for asserting what a user would read in the log.
public struct CapturedLog: LogHandler {
    private let box = NIOLockedValueBox<[(message: String, metadata: Logger.Metadata)]>([])
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init() {}

    /// The messages, in order.
    public var messages: [String] { self.box.withLockedValue { $0.map(\.message) } }
    /// Each message followed by its metadata (where a reason is often given).
    public var lines: [String] { self.box.withLockedValue { $0.map { "\($0.message) \($0.metadata)" } } }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        self.box.withLockedValue { $0.append((event.message.description, event.metadata ?? [:])) }
    }
}
