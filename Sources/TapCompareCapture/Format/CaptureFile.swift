import Foundation
import TapCompareJSON

/// Reading and writing whole capture files (JSON Lines).
public enum CaptureFile {
    /// Reads every record of a capture file. Blank lines are allowed.
    /// - Throws: ``CaptureError`` naming the file and the line of the first bad record, a last line cut short
    ///   included (``contents(path:)`` skips that one and says so).
    public static func read(path: String) throws(CaptureError) -> [CaptureRecord] {
        try Self.strict(Self.contents(path: path))
    }

    /// Parses the contents of a capture file, as ``read(path:)`` does.
    public static func parse(_ data: Data, file: String) throws(CaptureError) -> [CaptureRecord] {
        try Self.strict(Self.contents(of: data, file: file))
    }

    /// Reads every record of a capture file with its 1-based line number, and a last line cut short by a write
    /// that failed, which is skipped (``CaptureFileContents/truncatedEnd``) rather than refusing the whole file.
    /// - Throws: ``CaptureError`` naming the file and the line of the first bad record elsewhere.
    public static func contents(path: String) throws(CaptureError) -> CaptureFileContents {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path, "cannot read the capture file (\(Self.reason(error))); check the path")
        }
        return try Self.contents(of: data, file: path)
    }

    /// ``contents(path:)`` of bytes read already.
    ///
    /// A line that is not a record is an error naming its file and line, except the last line when it is not JSON
    /// and has no newline after it: that is what a write that failed (a full disk, a crash) leaves of a record, as
    /// every record ends with its newline. It is skipped and reported; a line that is not JSON with lines after it
    /// is corruption and refuses the file.
    public static func contents(of data: Data, file: String) throws(CaptureError) -> CaptureFileContents {
        let codec = CaptureCodec()
        let bytes = [UInt8](data)
        var contents = CaptureFileContents(records: [], truncatedEnd: nil)
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            var lineEnd = end
            if lineEnd > start, bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            let lineStart = start
            start = end + 1
            if bytes[lineStart..<lineEnd].allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            // Parsed in place: no copy of the line.
            let result = bytes[lineStart..<lineEnd].withUnsafeBytes { raw in
                Result { () throws(CaptureError) -> CaptureRecord in try codec.decode(raw) }
            }
            switch result {
            case .success(let record):
                contents.records.append((record, lineNumber))
            case .failure(let error):
                let isJSON = bytes[lineStart..<lineEnd].withUnsafeBytes { raw in (try? JSONParser.parse(raw)) != nil }
                if end == bytes.count, !isJSON {
                    contents.truncatedEnd = CaptureTruncatedEnd(file: file, line: lineNumber, bytes: lineEnd - lineStart)
                    continue
                }
                if !isJSON {
                    throw CaptureError.invalidRecord("\(error.reason); the file is damaged here (a record cut short by a write that failed, with lines after it?): remove or repair line \(lineNumber)")
                        .located(file: file, line: lineNumber)
                }
                throw error.located(file: file, line: lineNumber)
            }
        }
        return contents
    }

    /// The records, or the error of a last line cut short.
    static func strict(_ contents: CaptureFileContents) throws(CaptureError) -> [CaptureRecord] {
        if let end = contents.truncatedEnd {
            throw CaptureError.invalidRecord(
                "the last line is cut short (\(end.bytes) bytes and no newline: what a write that failed left of a record); `tapcompare replay` and `capture export` skip it, or remove the line"
            ).located(file: end.file, line: end.line)
        }
        return contents.records.map(\.record)
    }

    /// Writes records as a capture file, replacing it.
    public static func write(_ records: [CaptureRecord], path: String) throws(CaptureError) {
        let codec = CaptureCodec()
        var data = Data()
        for record in records {
            data.append(try codec.encode(record))
            data.append(UInt8(ascii: "\n"))
        }
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .unwritable(path, "cannot write the capture file (\(Self.reason(error)))")
        }
    }

    static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
            return String(cString: strerror(code.rawValue))
        }
        return ns.localizedDescription
    }
}

/// What a capture file holds: its records, each with its 1-based line, and its last line when a write that failed
/// cut it short.
public struct CaptureFileContents: Sendable {
    public var records: [(record: CaptureRecord, line: Int)]
    /// The last line, skipped: part of a record, with no newline after it (``CaptureFile/contents(of:file:)``).
    public var truncatedEnd: CaptureTruncatedEnd?
}

/// A capture file's last line cut short: what a write that failed (a full disk, a crash) left of a record. Skipped,
/// and said where it was.
public struct CaptureTruncatedEnd: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// 1-based.
    public var line: Int
    /// The bytes of the line (the part of the record that was written).
    public var bytes: Int

    public var description: String {
        "\(self.file):\(self.line): the last line is cut short (\(self.bytes) bytes and no newline: what a write that failed, e.g. on a full disk, left of a record); skipped"
    }
}
