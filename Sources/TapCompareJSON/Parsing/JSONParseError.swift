/// Why a document is not JSON, with the byte offset where parsing stopped.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Byte offset into the document where the problem was found.
    public var offset: Int
    /// What is wrong, in words (`unexpected character 'x'`, `nesting deeper than 512`).
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "invalid JSON at byte \(self.offset): \(self.reason)" }
}
