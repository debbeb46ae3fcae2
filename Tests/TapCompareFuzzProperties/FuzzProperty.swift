/// What each libFuzzer target in `fuzz/` checks for one input, shared with the regression test that replays every
/// input a fuzzer ever failed on (`fuzz/regressions/<target>/`, see `FuzzRegressionTests`).
///
/// The fuzz targets turn a violation into a crash (libFuzzer's signal to save the input); the regression test
/// turns it into a failed expectation naming the file. Keeping one definition means a fixed crash stays fixed.
public enum FuzzProperty: String, CaseIterable, Sendable {
    /// Any bytes: the parser returns a value or an error; an accepted document serializes to text that parses
    /// back to an equal value.
    case jsonParser = "FuzzJSONParser"
    /// Two bodies split at the first 0x00: the diff engine never crashes, and when both are JSON its
    /// discrepancies, applied to legacy as a JSON Patch, give the candidate.
    case diffEngine = "FuzzDiffEngine"
    /// Any text as a rule file: it loads or fails with positioned messages.
    case rulesLoader = "FuzzRulesLoader"
    /// Two gRPC bodies split at the first 0x1E 0x1E: framed, decoded and compared without a trap; decoded messages
    /// round-trip through JSON; the discrepancies patch legacy's messages into the candidate's.
    case grpcMessages = "FuzzGRPCMessages"

    /// Checks one input.
    /// - Throws: ``FuzzPropertyViolation`` describing what broke.
    public func check(_ input: [UInt8]) throws(FuzzPropertyViolation) {
        switch self {
        case .jsonParser: try JSONRoundTripProperty.check(input)
        case .diffEngine: try DiffPatchProperty.check(input)
        case .rulesLoader: try RulesLoaderProperty.check(input)
        case .grpcMessages: try GRPCMessagesProperty.check(input)
        }
    }
}

/// A property that did not hold for an input.
public struct FuzzPropertyViolation: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
