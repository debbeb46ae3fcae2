import Foundation

/// Paths of the repository the tests run from, found from this source file (never copied into a test bundle).
public enum Paths {
    /// `<repo>`, from this file's location: `<repo>/Tests/TapCompareTestSupport/Paths.swift`.
    public static let repository: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    public static var postgresScript: String { repository + "/scripts/postgres.sh" }
    public static var keyValueServersScript: String { repository + "/scripts/kv-servers.sh" }

    /// The `tapcompare` executable built next to the test bundle (or `TAPCOMPARE_BINARY`).
    public static func tapcompareBinary() throws -> String {
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
