/// One mistake in a rule file, located by file, line and column (1-based), with what to do about it.
public struct RuleDiagnostic: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line:column: message`, the form editors and CI annotate.
    public var description: String { "\(self.file):\(self.line):\(self.column): \(self.message)" }
}

/// A rule set that cannot be used; every mistake found is listed (loading does not stop at the first).
public struct RuleSetError: Error, Sendable, Hashable, CustomStringConvertible {
    public var diagnostics: [RuleDiagnostic]

    public init(diagnostics: [RuleDiagnostic]) { self.diagnostics = diagnostics }

    /// One line per mistake.
    public var description: String { self.diagnostics.map(\.description).joined(separator: "\n") }
}
