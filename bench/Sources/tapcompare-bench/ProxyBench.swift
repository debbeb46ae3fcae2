import ArgumentParser
import Logging
import NIOCore
import NIOPosix
import Synchronization
import TapCompareCore
import TapCompareMirroring
import TapCompareProxy

/// `tapcompare-bench proxy`: runs the data plane alone (``ProxyServer`` with a sink that only counts), so
/// `bench/proxy.sh` can measure it before and without the full `serve` wiring (diff engine, ledger).
struct ProxyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Run the proxy with a counting exchange sink until killed."
    )

    @Option(help: "host:port to listen on.") var listen = "127.0.0.1:8080"
    @Option(help: "Legacy base URL.") var legacy: String
    @Option(help: "Candidate base URL.") var candidate: String?
    @Option(help: "Sample rate 0…1.") var sampleRate = 0.0
    @Option(help: "Event loop threads (default: one per core).") var threads = System.coreCount

    func run() async throws {
        guard let colon = self.listen.lastIndex(of: ":"), let port = Int(self.listen[self.listen.index(after: colon)...]) else {
            throw ValidationError("--listen must be host:port, got '\(self.listen)'")
        }
        let configuration = ProxyConfiguration(
            host: String(self.listen[..<colon]),
            port: port,
            legacy: try UpstreamURL(parsing: self.legacy)
        )
        let mirror = MirrorConfiguration(
            candidate: try self.candidate.map { try UpstreamURL(parsing: $0) },
            sampleRate: self.sampleRate
        )
        let group = MultiThreadedEventLoopGroup(numberOfThreads: self.threads)
        let sink = CountingSink()
        let server = ProxyServer(
            configuration: configuration,
            mirror: mirror,
            eventLoopGroup: group,
            logger: Logger(label: "tapcompare.bench"),
            sink: sink
        )
        try await server.run()
    }
}

/// Counts exchanges and drops them: the benchmark measures the data plane, not the comparison.
final class CountingSink: ExchangeSink {
    let count = Atomic<Int>(0)
    func submit(_ exchange: Exchange) {
        self.count.add(1, ordering: .relaxed)
    }
}
