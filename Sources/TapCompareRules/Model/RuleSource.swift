/// Where a value is written in a rule file, so a check made after loading (against the configuration the rules run
/// with) can point at it as the loader's own mistakes do.
public struct RuleSource: Sendable, Hashable {
    /// The rule file as it was loaded (with its directory).
    public var file: String
    /// 1-based line and column.
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// A mistake at this place: `file:line:column: message`.
    public func diagnostic(_ message: String) -> RuleDiagnostic {
        RuleDiagnostic(file: self.file, line: self.line, column: self.column, message: message)
    }
}
