import CompressNIO
import Foundation
import NIOCore
import TapCompareCapture

/// The fixture capture and the example rules `tapcompare demo` uses unless told otherwise, built into the binary
/// (SwiftPM resources embedded in code), so the demo runs from any directory and from an installed binary.
///
/// They are copies of `fixtures/comments.capture.jsonl` (gzip-compressed: 1.5 MB of JSON lines become about
/// 110 kB in the binary) and `diff-rules/comments.yml`; a test keeps them equal to the repository's files.
public enum DemoBuiltIns {
    /// How the built-in fixture is named in messages.
    public static let fixtureName = "comments.capture.jsonl (built in)"
    /// The file name of the built-in rules.
    public static let rulesFileName = "comments.yml"

    /// The bound on the inflated fixture, far above its size, so a corrupted copy cannot exhaust memory.
    static let maxFixtureBytes = 64 << 20

    /// The built-in fixture's records.
    /// - Throws: ``CaptureError`` if the embedded copy does not parse (a broken build).
    public static func records() throws -> [CaptureRecord] {
        try CaptureFile.parse(try self.fixtureData(), file: Self.fixtureName)
    }

    /// The built-in fixture's bytes (JSON lines).
    static func fixtureData() throws -> Data {
        var compressed = ByteBuffer(bytes: PackageResources.comments_capture_jsonl_gz)
        let inflated = try compressed.decompress(with: .gzip(), maxSize: Self.maxFixtureBytes)
        return Data(inflated.readableBytesView)
    }

    /// The built-in example rules' YAML.
    public static var rulesText: String { String(decoding: PackageResources.comments_yml, as: UTF8.self) }

    /// Writes the built-in rules into a new directory under the system's temporary directory and returns its
    /// path (`serve`, which the demo runs, loads rules from a directory).
    public static func writeRules() throws -> String {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tapcompare-demo-rules-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(PackageResources.comments_yml).write(to: directory.appendingPathComponent(Self.rulesFileName))
        return directory.path
    }
}
