import Foundation

/// Reading and writing whole capture files (JSON Lines).
public enum CaptureFile {
    /// Reads every record of a capture file. Blank lines are allowed.
    /// - Throws: ``CaptureError`` naming the file and the line of the first bad record.
    public static func read(path: String) throws(CaptureError) -> [CaptureRecord] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path, "cannot read the capture file (\(Self.reason(error))); check the path")
        }
        return try Self.parse(data, file: path)
    }

    /// Reads every record of a capture file with its 1-based line number (for messages about a record).
    public static func readNumbered(path: String) throws(CaptureError) -> [(record: CaptureRecord, line: Int)] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path, "cannot read the capture file (\(Self.reason(error))); check the path")
        }
        return try Self.parseNumbered(data, file: path)
    }

    /// Parses the contents of a capture file.
    public static func parse(_ data: Data, file: String) throws(CaptureError) -> [CaptureRecord] {
        try Self.parseNumbered(data, file: file).map(\.record)
    }

    static func parseNumbered(_ data: Data, file: String) throws(CaptureError) -> [(record: CaptureRecord, line: Int)] {
        let codec = CaptureCodec()
        var records: [(record: CaptureRecord, line: Int)] = []
        var lineNumber = 0
        var start = data.startIndex
        while start < data.endIndex {
            lineNumber += 1
            let end = data[start...].firstIndex(of: UInt8(ascii: "\n")) ?? data.endIndex
            var line = data[start..<end]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            start = end < data.endIndex ? data.index(after: end) : end
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            do {
                records.append((try codec.decode(line), lineNumber))
            } catch {
                throw error.located(file: file, line: lineNumber)
            }
        }
        return records
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
