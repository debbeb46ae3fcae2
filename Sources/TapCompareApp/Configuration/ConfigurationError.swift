/// A mistake in the configuration file or flags. Start-up stops with exit status 2 and prints every issue.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// One mistake: where it is, which key, what is wrong and how to fix it.
    public struct Issue: Sendable, Hashable, CustomStringConvertible {
        /// The file (or `command line` for a flag).
        public var file: String
        /// 1-based line and column, when known.
        public var line: Int?
        public var column: Int?
        /// The dotted key, e.g. `mirror.timeout`.
        public var key: String
        /// What is wrong and the fix, e.g. `'5 sec' is not a duration; write e.g. 250ms, 5s or 2m`.
        public var message: String

        public init(file: String, line: Int? = nil, column: Int? = nil, key: String, message: String) {
            self.file = file
            self.line = line
            self.column = column
            self.key = key
            self.message = message
        }

        public var description: String {
            var location = self.file
            if let line = self.line {
                location += ":\(line)"
                if let column = self.column { location += ":\(column)" }
            }
            return self.key.isEmpty ? "\(location): \(self.message)" : "\(location): \(self.key): \(self.message)"
        }
    }

    public var issues: [Issue]

    public init(issues: [Issue]) {
        self.issues = issues
    }

    public var description: String {
        self.issues.map(\.description).joined(separator: "\n")
    }
}
