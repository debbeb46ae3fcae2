import Foundation

/// One `grpc.read_methods` entry: a call path (`/package.Service/Method`) where `*` stands for any run of
/// characters, e.g. `*/Get*` (every method whose name starts with `Get`), `/pkg.Svc/*`, or an exact path.
public struct GRPCMethodPattern: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    private let parts: [Substring]

    /// - Throws: ``GRPCMethodPatternError`` when the text cannot name a method.
    public init(parsing text: String) throws(GRPCMethodPatternError) {
        guard text.first == "/" || text.first == "*" else {
            throw GRPCMethodPatternError(pattern: text, reason: "must start with '/' (a call path such as /package.Service/Method) or '*' (such as */Get*)")
        }
        guard !text.contains(where: { $0 == " " || $0 == "?" }) else {
            throw GRPCMethodPatternError(pattern: text, reason: "a method pattern has no spaces or '?'; write e.g. */Get* or /package.Service/Method")
        }
        self.text = text
        self.parts = text.split(separator: "*", omittingEmptySubsequences: false)
    }

    public var description: String { self.text }

    /// Whether the pattern has no `*`: it names exactly one method (which a descriptor set must then hold).
    public var isExact: Bool { self.parts.count == 1 }

    /// Whether `path` matches: each literal part in order, the first anchored at the start, the last at the end.
    public func matches(_ path: some StringProtocol) -> Bool {
        let path = Substring(path)
        if self.parts.count == 1 { return path == self.parts[0] }
        guard path.hasPrefix(self.parts[0]) else { return false }
        var rest = path.dropFirst(self.parts[0].count)
        for part in self.parts.dropFirst().dropLast() where !part.isEmpty {
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        let last = self.parts[self.parts.count - 1]
        return rest.count >= last.count && rest.hasSuffix(last)
    }
}

/// A `grpc.read_methods` entry that cannot be a method pattern.
public struct GRPCMethodPatternError: Error, Sendable, Hashable, CustomStringConvertible {
    public var pattern: String
    public var reason: String
    public var description: String { "'\(self.pattern)' \(self.reason)" }
}
