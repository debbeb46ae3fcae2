import TapCompareLedger

/// `tapcompare capture import`: a HAR file read and written as a capture, redacted as a capture written by `serve`.
///
/// A HAR from a browser's developer tools holds the user's `Cookie`, `Authorization` and `Set-Cookie` values in
/// clear. A capture is kept, shared and replayed in CI, so the import applies the same ``CaptureRedactor`` as
/// ``CaptureWriter``: the always-redacted headers whatever the configuration, plus the `redact:` section of a
/// `--config` file (headers, query parameters, JSON paths, with bodies the paths cannot be applied to left out).
public enum HARImport {
    /// What was written.
    public struct Result: Sendable, Hashable {
        /// Exchanges written.
        public var exchanges: Int
        /// Bodies left out because `redact.json_paths` could not be applied to them, by reason.
        public var withheld: [WithheldSample.Reason: Int]
    }

    /// Reads `har`, redacts every record and writes them to `output`.
    /// - Parameter redaction: The `redact:` section `serve`'s capture would use. Default: the sensitive headers only.
    /// - Throws: ``CaptureError`` naming the file (and the entry) that cannot be read, a `redact.json_paths` entry
    ///   that cannot be parsed, or the output that cannot be written. Nothing is written then.
    public static func run(har: String, output: String, redaction: RedactionConfiguration = RedactionConfiguration()) throws(CaptureError) -> Result {
        let redactor = try CaptureRedactor(redaction)
        var records = try HARFile.read(path: har)
        var withheld: [WithheldSample.Reason: Int] = [:]
        for index in records.indices {
            for body in redactor.redact(&records[index]) { withheld[body.reason, default: 0] += 1 }
        }
        try CaptureFile.write(records, path: output)
        return Result(exchanges: records.count, withheld: withheld)
    }
}
