import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TapCompareTestSupport
import Testing

/// One `tapcompare serve` process of a fleet sharing a ledger: its `ledger.instance` name, its own directory
/// (configuration, log and spool) and the running process; ``restarted()`` is the same member in a new process.
struct FleetMember: Sendable {
    let name: String
    let directory: String
    let yaml: String
    let process: ServeProcess

    private init(name: String, directory: String, yaml: String, process: ServeProcess) {
        self.name = name
        self.directory = directory
        self.yaml = yaml
        self.process = process
    }

    /// Starts `serve` with ledger instance `name` and spool `<directory>/spool`, in front of the given services.
    static func start(name: String, legacy: String, candidate: String, secondary: String, ledger: String) async throws -> FleetMember {
        let directory = try ServeHarness.temporaryDirectory()
        // Learned noise: every compared request is also asked of `secondary` (a second legacy), and a field that
        // differs there in half of a route's last 50 baselined comparisons (at least 5) is noise.
        let yaml = """
            legacy: \(legacy)
            candidate: \(candidate)
            secondary: \(secondary)
            sample_rate: 1
            race:
              recheck: false
            mirror:
              timeout: 5s
            noise:
              min_samples: 5
              window: 50
            ledger:
              url: \(ledger)
              instance: \(name)
              spool_dir: \(directory)/spool
              flush_interval: 20ms
              retry_interval: 200ms
              write_timeout: 2s

            """
        let process = try await ServeProcess.start(yaml: yaml, directory: directory)
        return FleetMember(name: name, directory: directory, yaml: yaml, process: process)
    }

    /// Starts the process again with the same configuration, instance name and spool (new ports).
    func restarted() async throws -> FleetMember {
        FleetMember(name: self.name, directory: self.directory, yaml: self.yaml, process: try await ServeProcess.start(yaml: self.yaml, directory: self.directory))
    }

    /// SIGKILL, and waits until the process is gone: nothing it held in memory survives.
    func sigkill() async throws {
        self.process.signal(SIGKILL)
        _ = try await self.process.process.waitForExit()
    }

    /// Sends one GET with request id `id` and returns the status legacy's answer carried through the proxy. A
    /// hang guard (30 s, scaled) turns a request that is never answered into an error naming it.
    func get(_ path: String, id: String) async throws -> Int {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(self.process.proxyPort)\(path)")
        request.headers.add(name: "X-Request-Id", value: id)
        let response = try await HTTPClient.shared.execute(request, timeout: TestTiming.scaled(.seconds(30)))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    /// SIGTERM, and the exit status once the process has flushed its ledger and published its noise model. A hang
    /// guard SIGKILLs it after 30 s (scaled), so a process that never exits fails the test with status 137 instead
    /// of running into the suite's time limit.
    func stop() async throws -> Int32 {
        let process = self.process.process
        let hangGuard = Task {
            try await Task.sleep(for: TestTiming.scaled(.seconds(30)))
            process.signal(SIGKILL)
        }
        defer { hangGuard.cancel() }
        return try await self.process.stop()
    }

    /// `tapcompare_ledger_<name>_total` of this process (its counters start at zero with each start).
    func ledgerCounter(_ name: String) async throws -> Int {
        Int(try await self.process.metrics().value("tapcompare_ledger_\(name)_total"))
    }

    func remove() {
        self.process.terminate()
        try? FileManager.default.removeItem(atPath: self.directory)
    }
}

/// The fleet's client: request `n` of a phase goes to member `n % members.count` (round robin), from a few
/// concurrent connections. Request ids are `<member>/<phase>/<n>`, so the candidate's log says which instance
/// mirrored each request.
enum RoundRobinClient {
    static let path = "/fleet/items"

    /// Sends `count` requests; returns how many each member was sent. Every one must be answered 200 (legacy's).
    @discardableResult
    static func load(_ members: [FleetMember], phase: String, count: Int, workers: Int = 4) async throws -> [String: Int] {
        try await withThrowingTaskGroup(of: [String: Int].self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var sent: [String: Int] = [:]
                    for n in stride(from: worker, to: count, by: workers) {
                        let member = members[n % members.count]
                        let status = try await member.get(Self.path, id: "\(member.name)/\(phase)/\(n)")
                        #expect(status == 200, "request \(n) of \(phase) through \(member.name)")
                        sent[member.name, default: 0] += 1
                    }
                    return sent
                }
            }
            var total: [String: Int] = [:]
            for try await sent in group { total.merge(sent, uniquingKeysWith: +) }
            return total
        }
    }
}
