import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import TapCompareApp
import TapCompareLedger
import TapCompareMirroring
import TapCompareProxy
import TapCompareReview
import TapCompareTestSupport
import Testing

/// Every fault-injection test, run one at a time: they read the process-wide Prometheus registry and compare
/// counters before and after, which a concurrent test of the same suite would disturb. Per-route counters use a
/// route template no other test uses.
@Suite("Fault injection", .serialized, .timeLimit(.minutes(TestTiming.minutes(1))))
enum FaultInjection {}

/// `tapcompare serve` as the binary assembles it (``ServeRunner/assemble(logger:)``: proxy, comparison stage,
/// classification, real ledger writer and store, admin listener), run in-process on free ports with short
/// timeouts, so a test can see what the client got, what the ledger holds and what `/metrics` counts.
struct ServeHarness: Sendable {
    let assembly: ServeRunner.Assembly
    let proxyPort: Int
    let adminPort: Int
    let configuration: ServeConfiguration

    /// A configuration for tests: everything mirrored, short timeouts, an SQLite ledger and spool in `directory`,
    /// no rules (an empty rules directory), no re-reads (so legacy sees only the client's requests).
    static func configuration(legacy: String, candidate: String?, directory: String) throws -> ServeConfiguration {
        var c = ServeConfiguration()
        c.listen = ListenAddress(host: "127.0.0.1", port: 0)
        c.admin.listen = ListenAddress(host: "127.0.0.1", port: 0)
        c.legacy = try UpstreamURL(parsing: legacy)
        c.candidate = try candidate.map { try UpstreamURL(parsing: $0) }
        c.sampleRate = 1
        let rules = directory + "/rules"
        try FileManager.default.createDirectory(atPath: rules, withIntermediateDirectories: true)
        c.rules = rules
        c.race.recheck = false
        // Legacy's and the candidate's connects (both use upstream.connect_timeout).
        c.upstream.connectTimeout = TestTiming.localConnect
        // Guards against a hang, long enough for a loaded CI machine: the tests that expect a read or mirror
        // timeout to fire (a hanging legacy, a hanging or trickling candidate) set their own short ones.
        c.upstream.readTimeout = TestTiming.scaled(.seconds(10))
        c.mirror.timeout = TestTiming.scaled(.seconds(10))
        // listener.header_timeout stays at its default (10 s): a 500 ms one here cut off clients whose head was
        // late on a loaded CI machine (no answer at all); the header-timeout test sets its own.
        c.listener.headerTimeout = TestTiming.scaled(c.listener.headerTimeout)
        c.shutdownGrace = .seconds(2)
        c.ledger.url = try LedgerURL(parsing: "sqlite:" + directory + "/ledger.sqlite")
        c.ledger.spoolDirectory = directory + "/spool"
        c.ledger.flushInterval = .milliseconds(20)
        c.ledger.retryInterval = .milliseconds(200)
        // A guard against a hang: a loaded CI machine can take seconds over one SQLite batch, and a spooled batch
        // is only written again after retry_interval. The outage tests' failures are refused connections, not waits.
        c.ledger.writeTimeout = TestTiming.scaled(.seconds(30))
        c.ledger.instance = "fault-injection"
        return c
    }

    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tapcompare-faults-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static var logger: Logger {
        var logger = Logger(label: "tapcompare.faults")
        logger.logLevel = ProcessInfo.processInfo.environment["TAPCOMPARE_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }

    /// Assembles and runs `serve` for the duration of `body`, then shuts it down gracefully (the ledger writer
    /// flushes) and deletes the directory.
    static func with(
        legacy: ScriptedUpstream,
        candidate: ScriptedUpstream?,
        configure: (inout ServeConfiguration, _ directory: String) throws -> Void = { _, _ in },
        _ body: (ServeHarness) async throws -> Void
    ) async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = try Self.configuration(legacy: legacy.url, candidate: candidate?.url, directory: directory)
        try configure(&configuration, directory)
        let logger = Self.logger
        let assembly = try ServeRunner(configuration: configuration, configurationFile: "fault-injection").assemble(logger: logger)
        let group = ServiceGroup(configuration: .init(services: assembly.services, logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                let proxyPort = try await assembly.proxy.boundAddress().port!
                try await eventually("the admin listener bound its port") { assembly.admin.port != nil }
                let harness = ServeHarness(assembly: assembly, proxyPort: proxyPort, adminPort: assembly.admin.port!, configuration: configuration)
                try await body(harness)
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    // MARK: What the client sees

    /// Sends one request as raw bytes (`Connection: close`) and parses the answer; `nil` when the connection
    /// closed without a complete response head.
    func get(_ path: String, requestID: String? = nil, headers: [(String, String)] = []) async throws -> RawResponse? {
        var text = "GET \(path) HTTP/1.1\r\nHost: tapcompare.test\r\nConnection: close\r\n"
        if let requestID { text += "X-Request-Id: \(requestID)\r\n" }
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        return RawResponse(parsing: try await RawHTTPClient.exchange(text, port: self.proxyPort))
    }

    // MARK: What the metrics count

    /// `/metrics` from the admin listener, as an operator's scraper reads it.
    func metrics() async throws -> PrometheusText {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(self.adminPort)/metrics"), timeout: TestTiming.scaled(.seconds(10)))
        #expect(response.status.code == 200)
        return PrometheusText(String(buffer: try await response.body.collect(upTo: 16 << 20)))
    }

    /// Waits until `/metrics` satisfies `condition` (counters are updated asynchronously after responses).
    @discardableResult
    func waitForMetrics(timeout: Duration = TestTiming.eventWait, _ condition: (PrometheusText) -> Bool) async throws -> PrometheusText {
        _ = try await pollUntil(timeout: timeout, poll: .milliseconds(20)) { condition(try await self.metrics()) }
        return try await self.metrics()
    }

    // MARK: What the ledger holds

    /// Every comparison row, as `report` would read it.
    func rows() async throws -> [LedgerRow] {
        try await LedgerReaders.withReader(url: self.configuration.ledger.url, logger: Self.logger) { database in
            try await database.query(
                "SELECT request_id, route, outcome, reason, legacy_status, candidate_status FROM comparisons ORDER BY recorded_at",
                []
            ).map { row in
                LedgerRow(
                    requestID: row.string(0) ?? "", route: row.string(1) ?? "", outcome: row.string(2) ?? "",
                    reason: row.string(3), legacyStatus: row.int(4), candidateStatus: row.int(5)
                )
            }
        }
    }

    /// Waits until the ledger holds at least `count` comparisons (or `timeout` passes) and returns them.
    func waitForRows(_ count: Int, timeout: Duration = .seconds(20)) async throws -> [LedgerRow] {
        _ = await pollUntil(timeout: timeout, poll: .milliseconds(25)) { ((try? await self.assembly.store.counts().comparisons) ?? 0) >= count }
        return try await self.rows()
    }
}

/// One `comparisons` row, the columns the fault tests check.
struct LedgerRow: Sendable, Hashable {
    var requestID: String
    var route: String
    var outcome: String
    var reason: String?
    var legacyStatus: Int?
    var candidateStatus: Int?
}

/// Prometheus text exposition, read the way a scraper would.
struct PrometheusText: Sendable, CustomStringConvertible {
    let text: String
    init(_ text: String) { self.text = text }
    var description: String { self.text }

    /// The value of the sample named `name` carrying every label in `labels` (others may be present), summed over
    /// the matching series; 0 when none matches (a counter never incremented reads as zero).
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double {
        var total = 0.0
        for line in self.text.split(separator: "\n") where !line.hasPrefix("#") {
            guard line.hasPrefix(name + "{") || line.hasPrefix(name + " ") else { continue }
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            let series = line[..<space]
            if labels.allSatisfy({ series.contains("\($0.key)=\"\($0.value)\"") }) { total += value }
        }
        return total
    }
}

extension RawResponse {
    var bodyText: String { String(decoding: self.body, as: UTF8.self) }
}
