/// A capture file that cannot be read or written, with a message fit for the user.
///
/// Follows the habit of AsyncHTTPClient's `HTTPClientError`: a struct with a private code, so new cases do not
/// break callers, and a ``description`` that names the file, the line and the fix.
public struct CaptureError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case unreadable
        case invalidRecord
        case unsupportedVersion
        case invalidHAR
        case unwritable
    }

    private let code: Code
    /// The file involved, when there is one.
    public private(set) var file: String?
    /// The 1-based line of a JSON Lines file, when the problem is on one line.
    public private(set) var line: Int?
    /// What is wrong, without the file and line.
    let reason: String

    private init(_ code: Code, _ reason: String, file: String? = nil, line: Int? = nil) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    static func unreadable(_ file: String, _ reason: String) -> CaptureError {
        CaptureError(.unreadable, reason, file: file)
    }

    static func invalidRecord(_ reason: String) -> CaptureError {
        CaptureError(.invalidRecord, reason)
    }

    static func unsupportedVersion(_ version: Int) -> CaptureError {
        CaptureError(
            .unsupportedVersion,
            "capture format version \(version) is not supported (this build reads version \(CaptureRecord.currentVersion)); upgrade tapcompare"
        )
    }

    static func invalidHAR(_ reason: String) -> CaptureError {
        CaptureError(.invalidHAR, reason)
    }

    static func unwritable(_ file: String, _ reason: String) -> CaptureError {
        CaptureError(.unwritable, reason, file: file)
    }

    /// The same error, located in a file (and line).
    func located(file: String, line: Int? = nil) -> CaptureError {
        var copy = self
        copy.file = file
        if let line { copy.line = line }
        return copy
    }

    /// Whether the problem is a capture written by a newer tapcompare.
    public var isUnsupportedVersion: Bool { self.code == .unsupportedVersion }

    public var description: String {
        var location = ""
        if let file = self.file {
            location = file
            if let line = self.line { location += ":\(line)" }
            location += ": "
        }
        return location + self.reason
    }
}
