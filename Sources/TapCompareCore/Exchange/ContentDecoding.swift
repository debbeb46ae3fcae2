import NIOCore

/// Undoes a body's `Content-Encoding`, so what is stored can be redacted: `redact.json_paths` names places in
/// the JSON a client or an upstream meant, not in its gzip bytes.
///
/// A protocol in the shared vocabulary so the ledger (which does not link a decompressor) uses the decoder the
/// comparison uses (`TapCompareComparison.BodyDecoder`, with its size and ratio limits), injected by whoever
/// builds the writer; there is only one decoder.
public protocol ContentDecoding: Sendable {
    /// - Parameters:
    ///   - body: The bytes as they were on the wire.
    ///   - contentEncoding: The `Content-Encoding` field values, in order (empty or `identity`: nothing to undo).
    /// - Returns: The decoded bytes, or why they could not be decoded.
    func decodeContent(_ body: ByteBuffer, contentEncoding: [String]) -> Result<ByteBuffer, ContentDecodingFailure>
}

/// Why a body could not be decoded.
public struct ContentDecodingFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// An encoding that is not decoded (e.g. `br`), or corrupt data.
        case undecodable
        /// Decoding would pass the size or ratio limit.
        case tooLarge = "too_large"
    }

    public var kind: Kind
    /// What went wrong, for people (`content-encoding 'br' is not decoded`).
    public var reason: String

    public init(kind: Kind, reason: String) {
        self.kind = kind
        self.reason = reason
    }

    public var description: String { self.reason }
}

/// `Content-Encoding` values.
public enum ContentCodings {
    /// Whether the field values name no coding to undo (none, or only `identity`).
    public static func isIdentity(_ values: [String]) -> Bool {
        for value in values {
            for coding in value.split(separator: ",") {
                let name = coding.filter { $0 != " " && $0 != "\t" }.lowercased()
                if !name.isEmpty && name != "identity" { return false }
            }
        }
        return true
    }
}
