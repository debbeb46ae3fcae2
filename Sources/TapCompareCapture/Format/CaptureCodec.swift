import Foundation

/// Encodes and decodes capture lines: one ``CaptureRecord`` per line of compact JSON.
///
/// Slashes are not escaped so paths stay readable in a capture; every other character is escaped as JSON
/// requires, which keeps a line free of raw newlines.
public struct CaptureCodec: Sendable {
    public init() {}

    /// One capture line, without its trailing newline.
    public func encode(_ record: CaptureRecord) throws(CaptureError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        do {
            return try encoder.encode(record)
        } catch {
            throw .invalidRecord("cannot encode the record: \(error)")
        }
    }

    /// Decodes one capture line.
    /// - Throws: ``CaptureError`` naming the first field that is wrong or missing.
    public func decode(_ line: some DataProtocol) throws(CaptureError) -> CaptureRecord {
        let data = Data(line)
        do {
            // Read the version first so a newer format gets "upgrade tapcompare", not a confusing key error.
            let probe = try JSONDecoder().decode(VersionProbe.self, from: data)
            if let v = probe.version, v != CaptureRecord.currentVersion { throw CaptureError.unsupportedVersion(v) }
            return try JSONDecoder().decode(CaptureRecord.self, from: data)
        } catch let error as CaptureError {
            throw error
        } catch let DecodingError.keyNotFound(key, context) {
            throw .invalidRecord("missing key '\(Self.path(context.codingPath + [key]))'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw .invalidRecord("wrong type at '\(Self.path(context.codingPath))': \(context.debugDescription)")
        } catch let DecodingError.valueNotFound(_, context) {
            throw .invalidRecord("null at '\(Self.path(context.codingPath))'")
        } catch let DecodingError.dataCorrupted(context) {
            let at = context.codingPath.isEmpty ? "" : " at '\(Self.path(context.codingPath))'"
            throw .invalidRecord("not a capture record\(at): \(context.debugDescription)")
        } catch {
            throw .invalidRecord("not a capture record: \(error)")
        }
    }

    private struct VersionProbe: Decodable {
        var version: Int?
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
    }
}
