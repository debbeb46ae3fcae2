import NIOHTTP1

/// The candidate build that answered one request, as its response header named by `comparison.version_header`
/// (e.g. `X-Version: 2.4.1`) gave it: what the report lists per problem, so a reviewer sees which builds a bug
/// was seen with and whether a deploy fixed it.
///
/// The header is the candidate's to set, so its value is bounded before it goes anywhere: the first value only,
/// at most ``maximumBytes`` bytes, printable ASCII only (any other byte becomes `?`), spaces at the ends trimmed.
public struct CandidateVersion: Sendable, Hashable {
    /// Longest value kept: a build id, tag or short commit hash fits; more is cut.
    public static let maximumBytes = 64

    /// The header it was read from, as configured (the ledger redacts it when that name is redacted).
    public var header: String
    /// The bounded value.
    public var value: String

    public init(header: String, value: String) {
        self.header = header
        self.value = value
    }

    /// The version in `headers`, or `nil` when the header is absent or holds nothing printable.
    public init?(header: String, in headers: HTTPHeaders) {
        guard let raw = headers.first(name: header), let value = Self.bounded(raw) else { return nil }
        self.init(header: header, value: value)
    }

    /// `raw` cut to ``maximumBytes`` printable ASCII bytes, `nil` when nothing printable is left.
    public static func bounded(_ raw: String) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(raw.utf8.count, Self.maximumBytes))
        for scalar in raw.unicodeScalars {
            guard bytes.count < Self.maximumBytes else { break }
            bytes.append(scalar.value >= 0x20 && scalar.value < 0x7F ? UInt8(scalar.value) : UInt8(ascii: "?"))
        }
        while bytes.last == UInt8(ascii: " ") { bytes.removeLast() }
        while bytes.first == UInt8(ascii: " ") { bytes.removeFirst() }
        guard !bytes.isEmpty, bytes.contains(where: { $0 != UInt8(ascii: "?") }) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
