/// A body sample that is not stored because `redact.json_paths` could not be applied to it.
///
/// Counted in `tapcompare_ledger_samples_withheld_total{reason}` and said in the sample's place (``text``), so a
/// report shows why the body is missing instead of showing nothing.
public struct WithheldSample: Sendable, Hashable {
    /// The `reason` label: a fixed, low-cardinality set.
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        /// A `Content-Encoding` that is not decoded (e.g. `br`), or corrupt compressed data.
        case undecodable
        /// Decoding would pass the decoder's size or ratio limit.
        case tooLarge = "too_large"
        /// The body starts like a JSON document but does not parse.
        case unparseable
        /// A gRPC call's protobuf bytes: its messages are stored decoded and redacted in the `*_grpc_messages`
        /// columns instead (a capture, which must send the bytes again exactly, leaves them out).
        case protobuf
        /// Bytes that are not UTF-8 text, so no JSON path can be found in them, yet they may hold JSON (in another
        /// charset, or with one bad byte). Withheld by the ledger and by captures alike (without `redact.json_paths`
        /// the ledger stores them as `base64:`).
        case binary
    }

    public var reason: Reason
    /// What exactly went wrong (`content-encoding 'br' is not decoded`).
    public var detail: String

    public init(reason: Reason, detail: String) {
        self.reason = reason
        self.detail = detail
    }

    /// What is stored in the body's place.
    public var text: String {
        "\(Self.prefix) body not stored: \(self.detail); redact.json_paths could not be applied to it"
    }

    /// How a withheld sample begins, for readers that show it differently.
    public static let prefix = "[WITHHELD]"
}
