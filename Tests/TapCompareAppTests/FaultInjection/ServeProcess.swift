import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import TapCompareCore
import TapCompareLedger
import TapCompareReview
import TapCompareTestSupport
import Testing

/// The built `tapcompare serve` binary as a child process, for faults only a real process shows: a signal
/// (SIGHUP), a lowered file-descriptor limit. Listens on free ports; logs go to files in ``directory``.
final class ServeProcess: Sendable {
    let process: SpawnedProcess
    let directory: String
    let proxyPort: Int
    let adminPort: Int

    private init(process: SpawnedProcess, directory: String, proxyPort: Int, adminPort: Int) {
        self.process = process
        self.directory = directory
        self.proxyPort = proxyPort
        self.adminPort = adminPort
    }

    /// Starts `tapcompare serve --config` with `yaml` plus the listen addresses, optionally under `ulimit -n`,
    /// and waits until it is ready (`/readyz`: the proxy listens and the ledger is migrated). `/healthz` only says
    /// the admin listener is up: a test that sent its first request then could find the proxy not listening yet.
    ///
    /// `readyPath: "/healthz"` returns once the admin listener answers, for a test whose ledger is down on purpose
    /// (`/readyz` would wait for a schema that cannot come).
    static func start(yaml: String, directory: String, descriptorLimit: Int? = nil, readyPath: String = "/readyz") async throws -> ServeProcess {
        let binary = try Paths.tapcompareBinary()
        let proxyPort = try await Self.unusedPort()
        let adminPort = try await Self.unusedPort()
        let config = directory + "/tapcompare.yml"
        try ("listen: 127.0.0.1:\(proxyPort)\nadmin:\n  listen: 127.0.0.1:\(adminPort)\n" + Self.localConnectTimeout(unlessSetIn: yaml) + yaml)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let limit = descriptorLimit.map { "ulimit -n \($0) && " } ?? ""
        let process = try SpawnedProcess.start(
            ["/bin/sh", "-c", limit + #"exec "$0" serve --config "$1""#, binary, config], in: directory,
            standardOutput: .file(directory + "/serve.log"), standardError: .standardOutput
        )
        let serve = ServeProcess(process: process, directory: directory, proxyPort: proxyPort, adminPort: adminPort)
        let deadline = ContinuousClock.now + TestTiming.scaled(.seconds(20))
        do {
            while ContinuousClock.now < deadline {
                if !process.isRunning { break }
                if let (status, _) = try? await serve.admin(readyPath), status == 200 { return serve }
                try await Task.sleep(for: .milliseconds(50))
            }
        } catch {
            // Cancelled (a test past its time limit): the caller never gets the process, so it cannot stop it.
            serve.terminate()
            throw error
        }
        serve.terminate()
        throw TestSetupError("tapcompare serve did not start: \(serve.log)")
    }

    /// `upstream.connect_timeout` at ``TestTiming/localConnect`` when `yaml` has no `upstream` section of its own,
    /// as the in-process ``ServeHarness`` sets it. Serve's default (1 s) bounds an h2c upstream's SETTINGS too, and
    /// a test process running every suite at once on 2 cores can hold its in-process server's SETTINGS past that:
    /// the client then gets serve's 502 instead of legacy's answer (a CI run's gRPC capture test did).
    static func localConnectTimeout(unlessSetIn yaml: String) -> String {
        let hasUpstream = yaml.split(separator: "\n").contains { $0.hasPrefix("upstream:") }
        return hasUpstream ? "" : "upstream:\n  connect_timeout: \(TestTiming.localConnect.components.seconds)s\n"
    }

    /// A free port below the kernel's ephemeral range, for the child to listen on: between this check and the
    /// child's bind, no test's port-0 listener can be handed it (the ephemeral range is where those come from).
    static func unusedPort() async throws -> Int {
        let range = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? "32768"
        let low = Int(range.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first ?? "") ?? 32768
        for _ in 0..<200 {
            let port = Int.random(in: max(1024, low - 12_000)..<low)
            guard let channel = try? await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: port).get() else { continue }
            try await channel.close().get()
            return port
        }
        throw TestSetupError("no free port below the ephemeral range (\(low))")
    }

    /// What the process logged.
    var log: String { (try? String(contentsOfFile: self.directory + "/serve.log", encoding: .utf8)) ?? "" }

    var isRunning: Bool { self.process.isRunning }

    func signal(_ signal: Int32) { self.process.signal(signal) }

    func admin(_ path: String) async throws -> (Int, String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(self.adminPort)\(path)"), timeout: .seconds(5))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 16 << 20)))
    }

    func metrics() async throws -> PrometheusText {
        let (status, text) = try await self.admin("/metrics")
        #expect(status == 200)
        return PrometheusText(text)
    }

    /// A `/proc/PID/status` memory figure in bytes (`VmRSS` now, `VmHWM` the peak), Linux only.
    func memory(_ field: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(self.process.pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first
            return kilobytes.map { $0 * 1024 }
        }
        return nil
    }

    /// How many descriptors the process holds open now (`/proc/PID/fd`), Linux only: how a test knows the process
    /// reached its `ulimit -n` without a request of its own, which would need a descriptor too.
    func openDescriptors() -> Int? {
        guard let directory = opendir("/proc/\(self.process.pid)/fd") else { return nil }
        defer { closedir(directory) }
        // Entries counted without reading `d_name` as a Swift value: that copies its full 256 bytes, past the end
        // of glibc's buffer for a short name at its end (what crashes Foundation's listing of a long directory).
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        var count = 0
        while let entry = readdir(directory) {
            let name = UnsafeRawPointer(entry).advanced(by: nameOffset).assumingMemoryBound(to: CChar.self)
            if strcmp(name, ".") != 0 && strcmp(name, "..") != 0 { count += 1 }
        }
        return count
    }

    /// Starts `VmHWM` over from the current resident set (`clear_refs` 5), so the peak read later covers only what
    /// ran since, not the process's start-up.
    func resetPeakMemory() throws {
        try "5".write(toFile: "/proc/\(self.process.pid)/clear_refs", atomically: false, encoding: .utf8)
    }

    /// The comparison rows of a ledger the process wrote (read after it stopped).
    static func rows(ledger: String) async throws -> [LedgerRow] {
        try await LedgerReaders.withReader(url: try LedgerURL(parsing: ledger), logger: ServeHarness.logger) { database in
            try await database.query("SELECT request_id, route, outcome, reason, legacy_status, candidate_status FROM comparisons ORDER BY recorded_at", []).map { row in
                LedgerRow(
                    requestID: row.string(0) ?? "", route: row.string(1) ?? "", outcome: row.string(2) ?? "",
                    reason: row.string(3), legacyStatus: row.int(4), candidateStatus: row.int(5)
                )
            }
        }
    }

    /// SIGTERM, then waits for the exit status (the ledger is flushed by then).
    func stop() async throws -> Int32 {
        self.signal(SIGTERM)
        return try await self.process.waitForExit()
    }

    func terminate() {
        self.process.kill()
    }
}
