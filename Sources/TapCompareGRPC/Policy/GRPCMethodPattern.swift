/// One `grpc.read_methods` entry: a call path (`/package.Service/Method`) where `*` stands for any run of
/// characters within one segment, e.g. `/pkg.Svc/*` (every method of one service), `/pkg.*/Get*`, or an exact
/// path. A leading `*/` stands for any service (`*/Get*`: every method whose name starts with `Get`), and `*` alone
/// for every method. `*` never spans a `/`, so `*/Get*` does not take `/GetThings.Svc/Delete`.
public struct GRPCMethodPattern: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    /// The segments between `/`, each split at its `*`s; `nil` for `*` alone.
    private let segments: [[Substring]]?

    /// - Throws: ``GRPCMethodPatternError`` when the text cannot name a method.
    public init(parsing text: String) throws(GRPCMethodPatternError) {
        guard text.first == "/" || text.first == "*" else {
            throw GRPCMethodPatternError(pattern: text, reason: "must start with '/' (a call path such as /package.Service/Method) or '*' (such as */Get*)")
        }
        guard !text.contains(where: { $0 == " " || $0 == "?" }) else {
            throw GRPCMethodPatternError(pattern: text, reason: "a method pattern has no spaces or '?'; write e.g. */Get* or /package.Service/Method")
        }
        self.text = text
        if text == "*" {
            self.segments = nil
            return
        }
        let path = text.hasPrefix("*/") ? "/" + text : text
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard segments.count == 2, !segments.contains(where: \.isEmpty) else {
            throw GRPCMethodPatternError(pattern: text, reason: "names no method; write /package.Service/Method, with * for any run of characters (e.g. */Get*)")
        }
        self.segments = segments.map { $0.split(separator: "*", omittingEmptySubsequences: false) }
    }

    public var description: String { self.text }

    /// Whether the pattern has no `*`: it names exactly one method (which a descriptor set must then hold).
    public var isExact: Bool { !self.text.contains("*") }

    /// Whether `path` (`/package.Service/Method`) matches, segment by segment.
    public func matches(_ path: some StringProtocol) -> Bool {
        guard let segments = self.segments else { return true }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard path.first == "/", parts.count == segments.count else { return false }
        return zip(segments, parts).allSatisfy { Self.glob($0, Substring($1)) }
    }

    /// `text` matches literal pieces separated by `*`: the first anchored at the start, the last at the end, the
    /// others found in order (leftmost is right: any later match leaves less room for what follows).
    private static func glob(_ pieces: [Substring], _ text: Substring) -> Bool {
        if pieces.count == 1 { return text == pieces[0] }
        guard text.hasPrefix(pieces[0]) else { return false }
        var rest = text.dropFirst(pieces[0].count)
        for piece in pieces.dropFirst().dropLast() where !piece.isEmpty {
            guard let start = Self.firstIndex(of: piece, in: rest) else { return false }
            rest = rest[rest.index(start, offsetBy: piece.count)...]
        }
        let last = pieces[pieces.count - 1]
        return rest.count >= last.count && rest.hasSuffix(last)
    }

    private static func firstIndex(of piece: Substring, in text: Substring) -> Substring.Index? {
        var index = text.startIndex
        while index < text.endIndex {
            if text[index...].hasPrefix(piece) { return index }
            index = text.index(after: index)
        }
        return nil
    }
}

/// A `grpc.read_methods` entry that cannot be a method pattern.
public struct GRPCMethodPatternError: Error, Sendable, Hashable, CustomStringConvertible {
    public var pattern: String
    public var reason: String
    public var description: String { "'\(self.pattern)' \(self.reason)" }
}
