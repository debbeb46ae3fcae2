import Foundation
import TapCompareJSON

/// Encodes and decodes capture lines: one ``CaptureRecord`` per line of compact JSON.
///
/// Strings escape only what JSON requires (quotes, backslashes, control characters, so a line never holds a raw
/// newline); everything else, slashes and non-ASCII text included, stays as it is and readable.
public struct CaptureCodec: Sendable {
    public init() {}

    /// One capture line, without its trailing newline.
    public func encode(_ record: CaptureRecord) throws(CaptureError) -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        record.jsonValue().serialize(into: &out)
        return Data(out)
    }

    /// Decodes one capture line.
    /// - Throws: ``CaptureError`` naming the first field that is wrong or missing.
    public func decode(_ line: some DataProtocol) throws(CaptureError) -> CaptureRecord {
        let bytes = Array(line)
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(CaptureError) -> CaptureRecord in try self.decode(raw) }
        }
        return try result.get()
    }

    /// Decodes one capture line held in memory (no copy).
    public func decode(_ line: UnsafeRawBufferPointer) throws(CaptureError) -> CaptureRecord {
        let value: JSONValue
        do {
            value = try JSONParser.parse(line)
        } catch {
            throw .invalidRecord("not a capture record: the line is not JSON (\(error))")
        }
        return try CaptureRecord(json: value)
    }
}
