/// Why a replay could not run or judge: exit status 2, with a one-line reason.
public struct ReplayError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case badArgument
        case unreadableCapture
        case candidateUnreachable
        case nothingReplayed
        case reportUnwritable
    }

    private let code: Code
    private let reason: String

    private init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public static func badArgument(_ reason: String) -> ReplayError { ReplayError(.badArgument, reason) }
    public static func unreadableCapture(_ reason: String) -> ReplayError { ReplayError(.unreadableCapture, reason) }
    public static func candidateUnreachable(_ reason: String) -> ReplayError { ReplayError(.candidateUnreachable, reason) }
    public static func nothingReplayed(_ reason: String) -> ReplayError { ReplayError(.nothingReplayed, reason) }
    public static func reportUnwritable(_ reason: String) -> ReplayError { ReplayError(.reportUnwritable, reason) }

    public var description: String { self.reason }
}
