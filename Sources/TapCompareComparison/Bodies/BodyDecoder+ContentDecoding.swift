import NIOCore
import TapCompareCore

/// The comparison's decoder, for the ledger's and the capture's redaction: what is stored is redacted on the
/// body as decoded here, within the same limits as the comparison.
extension BodyDecoder: ContentDecoding {
    /// - Parameter limits: The size and ratio limits. Default: the comparison's defaults (16 MiB, ratio 200).
    public init(limits: Comparator.Configuration.Decoding = .init()) {
        self.init(maxDecodedBytes: limits.maxDecodedBytes, maxRatio: limits.maxRatio)
    }

    public func decodeContent(_ body: ByteBuffer, contentEncoding: [String]) -> Swift.Result<ByteBuffer, ContentDecodingFailure> {
        switch self.decode(body, contentEncoding: contentEncoding) {
        case .decoded(let bytes): return .success(bytes)
        case .undecodable(_, let reason): return .failure(ContentDecodingFailure(kind: .undecodable, reason: reason))
        case .tooLarge(let reason): return .failure(ContentDecodingFailure(kind: .tooLarge, reason: reason))
        }
    }
}
