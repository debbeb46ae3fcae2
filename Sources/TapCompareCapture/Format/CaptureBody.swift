import Foundation
import NIOCore

/// A body as stored in a capture line: UTF-8 text kept readable, anything else base64.
///
/// Bodies must come back byte for byte: a replay compares the candidate against these bytes, so the encoding
/// is chosen per body and written next to the data (`"encoding": "utf8"` or `"base64"`).
public struct CaptureBody: Sendable, Hashable, Codable {
    public enum Encoding: String, Sendable, Hashable, Codable {
        case utf8
        case base64
    }

    public var encoding: Encoding
    public var data: String

    public init(encoding: Encoding, data: String) {
        self.encoding = encoding
        self.data = data
    }

    /// Encodes bytes: as text when they are valid UTF-8, as base64 otherwise.
    public init(bytes: ByteBuffer) {
        let view = bytes.readableBytesView
        if let text = String(validating: view, as: UTF8.self) {
            self.init(encoding: .utf8, data: text)
        } else {
            self.init(encoding: .base64, data: Data(view).base64EncodedString())
        }
    }

    /// The body's bytes.
    /// - Throws: ``CaptureError`` when a base64 body is not valid base64.
    public func bytes() throws(CaptureError) -> ByteBuffer {
        switch self.encoding {
        case .utf8:
            return ByteBuffer(string: self.data)
        case .base64:
            guard let data = Data(base64Encoded: self.data) else {
                throw CaptureError.invalidRecord("body marked base64 is not valid base64")
            }
            return ByteBuffer(bytes: data)
        }
    }
}
