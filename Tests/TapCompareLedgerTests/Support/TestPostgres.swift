import Foundation
import Logging
import PostgresNIO
import Testing
@testable import TapCompareLedger

/// The Postgres the test script started (`scripts/postgres.sh start DIR` → `TAPCOMPARE_TEST_POSTGRES_URL`).
///
/// Without it, Postgres suites are skipped visibly in a local run; with `CI` set they run anyway and fail, so CI
/// can never pass by skipping them.
enum TestPostgres {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }
    static var baseURLText: String? { environment["TAPCOMPARE_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 } }
    static var isCI: Bool {
        guard let ci = environment["CI"] else { return false }
        return !ci.isEmpty && ci != "0" && ci.lowercased() != "false"
    }
    static var enabled: Bool { baseURLText != nil || isCI }
    static let skipReason: Comment = "TAPCOMPARE_TEST_POSTGRES_URL is not set (scripts/postgres.sh start DIR prints it)"

    static func baseURL() throws -> LedgerURL {
        guard let text = baseURLText else {
            throw TestSetupError("CI is set but TAPCOMPARE_TEST_POSTGRES_URL is not: start Postgres with scripts/postgres.sh start DIR and export the URL it prints")
        }
        return try LedgerURL(parsing: text)
    }

    /// A new, empty database on the test server, so tests running in parallel never see each other's rows.
    static func freshDatabase() async throws -> LedgerURL {
        let base = try Self.baseURL()
        guard case .postgres(var postgres) = base.backend else { throw TestSetupError("TAPCOMPARE_TEST_POSTGRES_URL is not a postgres:// URL") }
        let name = "tc_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        try await LedgerStores.withStore(url: base, logger: Logger.test) { store in
            let pg = try #require(store as? PostgresLedgerStore)
            try await pg.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        postgres.database = String(name)
        return LedgerURL(backend: .postgres(postgres))
    }
}

/// A private Postgres cluster for tests that stop the server (an outage must not hit other tests).
final class PostgresCluster: Sendable {
    let directory: String
    let url: LedgerURL

    private init(directory: String, url: LedgerURL) {
        self.directory = directory
        self.url = url
    }

    static func start() async throws -> PostgresCluster {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tapcompare-pg-\(UUID().uuidString)").path
        let output = try await runProcess([Paths.postgresScript, "start", directory])
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("TAPCOMPARE_TEST_POSTGRES_URL=") }) else {
            throw TestSetupError("scripts/postgres.sh start printed no URL: \(output)")
        }
        let url = try LedgerURL(parsing: String(line.dropFirst("TAPCOMPARE_TEST_POSTGRES_URL=".count)))
        return PostgresCluster(directory: directory, url: url)
    }

    /// Stops the server abruptly (`pg_ctl stop -m immediate`), keeping its data.
    func halt() async throws { _ = try await runProcess([Paths.postgresScript, "halt", self.directory]) }
    func resume() async throws { _ = try await runProcess([Paths.postgresScript, "resume", self.directory]) }
    func stop() async {
        _ = try? await runProcess([Paths.postgresScript, "stop", self.directory])
        try? FileManager.default.removeItem(atPath: self.directory)
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

enum Paths {
    /// `<repo>` from this file's location: `<repo>/Tests/TapCompareLedgerTests/Support/TestPostgres.swift`.
    static let repository: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var postgresScript: String { repository + "/scripts/postgres.sh" }

    /// The `tapcompare` executable built next to the test bundle (or `TAPCOMPARE_BINARY`).
    static func tapcompareBinary() throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["TAPCOMPARE_BINARY"] { return explicit }
        var candidates: [String] = []
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = testBinary.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("tapcompare").path)
            dir.deleteLastPathComponent()
        }
        candidates.append(repository + "/.build/debug/tapcompare")
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
        }
        throw TestSetupError("the tapcompare executable was not found next to the tests (\(candidates)); build it with 'swift build --build-tests' or set TAPCOMPARE_BINARY")
    }
}

/// Runs a program to completion without blocking a thread of the concurrency pool.
///
/// Output goes to files, not pipes: `pg_ctl start` leaves a server running that would hold a pipe open forever.
@discardableResult
func runProcess(_ arguments: [String]) async throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("tapcompare-run-\(UUID().uuidString)")
    let outURL = base.appendingPathExtension("out")
    let errURL = base.appendingPathExtension("err")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }
    let out = try FileHandle(forWritingTo: outURL)
    let err = try FileHandle(forWritingTo: errURL)
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let status = try await waitForExit(process)
    try? out.close()
    try? err.close()
    let text = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
    guard status == 0 else {
        let errors = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        throw TestSetupError("\(arguments.joined(separator: " ")) exited \(status): \(errors)")
    }
    return text
}

/// Waits for a child to exit by polling `waitpid`: Foundation's `terminationHandler` is not reliably called on
/// Linux when several children run at once. Returns the exit status, or 128 + signal.
func waitForExit(_ process: Process) async throws -> Int32 {
    let pid = process.processIdentifier
    while true {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid {
            let signal = status & 0x7F
            return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
        }
        if result < 0 {
            // Foundation reaped it first.
            while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
            return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}

extension Logger {
    static var test: Logger {
        var logger = Logger(label: "tapcompare.ledger.test")
        logger.logLevel = ProcessInfo.processInfo.environment["TAPCOMPARE_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }
}
