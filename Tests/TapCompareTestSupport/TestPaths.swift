import Foundation

/// Paths relative to the repository, found from this source file (never copied into the test bundle).
public enum TestPaths {
    /// `<repo>` as a URL (see ``Paths/repository``).
    public static let repositoryRoot: URL = URL(fileURLWithPath: Paths.repository)

    /// `<repo>/fixtures/<name>`.
    public static func fixture(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("fixtures").appendingPathComponent(name).path
    }

    /// A fresh temporary directory for one test.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tapcompare-capture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
