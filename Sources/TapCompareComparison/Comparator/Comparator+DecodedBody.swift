import NIOCore
import NIOHTTP1
import TapCompareCore

extension Comparator {
    /// `response`'s body with its `Content-Encoding` undone, within this comparator's decoding limits: what the
    /// diff engine compares, for anything else that must read the body as the comparison does (a store check's
    /// ids). The bytes as they are when the encoding is unknown or corrupt; `nil` when inflating would pass the
    /// limits.
    public func decodedBody(of response: ResponseSnapshot) -> ByteBuffer? {
        let decoder = BodyDecoder(maxDecodedBytes: self.configuration.decoding.maxDecodedBytes, maxRatio: self.configuration.decoding.maxRatio)
        let encoding = response.headers[canonicalForm: "content-encoding"].map(String.init)
        switch decoder.decode(response.body, contentEncoding: encoding) {
        case .decoded(let body), .undecodable(let body, _): return body
        case .tooLarge: return nil
        }
    }
}
