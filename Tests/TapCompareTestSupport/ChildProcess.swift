import Foundation

/// Runs a program to completion without blocking a thread of the concurrency pool and returns its standard output.
///
/// Output goes to files, not pipes: `pg_ctl start` leaves a server running that would hold a pipe open forever.
/// - Throws: ``TestSetupError`` with its standard error when it exits non-zero.
@discardableResult
public func runProcess(_ arguments: [String]) async throws -> String {
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
public func waitForExit(_ process: Process) async throws -> Int32 {
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
