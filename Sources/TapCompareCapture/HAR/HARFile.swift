import Foundation

/// Reading and writing HAR files.
public enum HARFile {
    /// Reads a HAR file into capture records.
    /// - Throws: ``CaptureError`` naming the file and, for a bad entry, its index and field.
    public static func read(path: String) throws(CaptureError) -> [CaptureRecord] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path, "cannot read the HAR file (\(CaptureFile.reason(error))); check the path")
        }
        let document: HARDocument
        do {
            document = try JSONDecoder().decode(HARDocument.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw CaptureError.invalidHAR("not a HAR 1.2 file: missing '\(Self.path(context.codingPath + [key]))'").located(file: path)
        } catch let DecodingError.typeMismatch(_, context) {
            throw CaptureError.invalidHAR("not a HAR 1.2 file: wrong type at '\(Self.path(context.codingPath))'").located(file: path)
        } catch {
            throw CaptureError.invalidHAR("not a HAR file: it is not JSON with a 'log' object").located(file: path)
        }
        do {
            return try HARConverter.records(from: document)
        } catch {
            throw error.located(file: path)
        }
    }

    /// Writes capture records as a HAR 1.2 file, pretty-printed so it diffs well.
    public static func write(_ records: [CaptureRecord], path: String) throws(CaptureError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
        do {
            let data = try encoder.encode(HARConverter.document(from: records))
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .unwritable(path, "cannot write the HAR file (\(CaptureFile.reason(error)))")
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
    }
}
