import Foundation
import NIOCore
import TapCompareGRPC

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

    /// Encodes a message body: base64 when `headers` say it is gRPC (its length-prefixed frames are binary even
    /// when they happen to be valid UTF-8, and must never be taken for text, e.g. by JSON redaction), else as
    /// ``init(bytes:)``.
    public init(bytes: ByteBuffer, headers: some Sequence<(name: String, value: String)>) {
        let isGRPC = headers.contains { $0.name.lowercased() == "content-type" && GRPCContentType.isGRPC($0.value) }
        if isGRPC {
            self.init(encoding: .base64, data: Data(bytes.readableBytesView).base64EncodedString())
        } else {
            self.init(bytes: bytes)
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
