extension ComparisonStage {
    /// How the comparison stage queues and runs work. Every default is the value written here.
    public struct Configuration: Sendable, Hashable {
        /// Exchanges waiting for a worker; beyond it new exchanges are dropped and counted. Default 4096.
        public var queueCapacity: Int
        /// Worker tasks running comparisons, off the proxy's event loops. Default 2 (this is CPU work: more
        /// workers than cores only adds contention).
        public var workers: Int
        /// On graceful shutdown, how long queued exchanges may still be compared before the rest are dropped
        /// (and counted). Default 10 seconds.
        public var shutdownGracePeriod: Duration
        /// The comparison's own limits.
        public var comparator: Comparator.Configuration

        public init(
            queueCapacity: Int = 4096,
            workers: Int = 2,
            shutdownGracePeriod: Duration = .seconds(10),
            comparator: Comparator.Configuration = .init()
        ) {
            self.queueCapacity = queueCapacity
            self.workers = workers
            self.shutdownGracePeriod = shutdownGracePeriod
            self.comparator = comparator
        }
    }
}
