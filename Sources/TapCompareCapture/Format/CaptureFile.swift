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
        let bytes = [UInt8](data)
        var records: [(record: CaptureRecord, line: Int)] = []
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
            case .success(let record): records.append((record, lineNumber))
            case .failure(let error): throw error.located(file: file, line: lineNumber)
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
