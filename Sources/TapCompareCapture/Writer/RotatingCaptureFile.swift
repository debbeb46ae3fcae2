import Foundation
import Logging

/// The capture file on disk: appends whole lines and rotates by ``CaptureRotationPolicy``.
///
/// All of its work is blocking file I/O, so ``CaptureWriter`` calls it only on a thread pool, one batch at a time.
///
/// A write that fails part way (a full disk takes what fits) must not leave part of a record in the file: the next
/// write would append after it, and the damaged line, no longer the last, would make the whole file unreadable to
/// `replay`. The file is cut back to its last whole line at once, or, when even that fails, before anything else
/// is appended to it (``write(lines:)`` then fails too, and its lines are counted as dropped). A file found ending
/// in part of a record when it is opened (a crash mid-write before this start) is cut back the same way, said at
/// `warning`: that exchange was lost by the process that crashed, which could not count it.
final class RotatingCaptureFile {
    /// Writes bytes to the open file. A test stands a failing disk in here.
    typealias WriteBytes = @Sendable (FileHandle, Data) throws -> Void

    /// A write that failed: the first ``written`` lines are in the file, whole; none of the others, even in part.
    struct WriteFailure: Error {
        var written: Int
        var underlying: any Error
    }

    let path: String
    let policy: CaptureRotationPolicy
    private let logger: Logger
    private let writeBytes: WriteBytes
    private var handle: FileHandle?
    private var size = 0
    /// Where the last whole line ends, while a failed write's part of a line after it could not be cut off yet.
    private var cutBackTo: Int?

    init(path: String, policy: CaptureRotationPolicy, logger: Logger, writeBytes: @escaping WriteBytes = { try $0.write(contentsOf: $1) }) {
        self.path = path
        self.policy = policy
        self.logger = logger
        self.writeBytes = writeBytes
    }

    /// Appends lines (each ending in a newline), rotating between lines as needed.
    /// - Throws: ``WriteFailure`` saying how many of the lines are in the file.
    func write(lines: [Data]) throws(WriteFailure) {
        var pending = Data()
        var pendingLines = 0
        var written = 0
        do {
            for line in lines {
                if self.handle == nil { try self.open() }
                if self.policy.action(currentSize: self.size + pending.count, lineSize: line.count) == .rotateThenAppend {
                    try self.flush(&pending)
                    written += pendingLines
                    pendingLines = 0
                    try self.rotate()
                    try self.open()
                }
                pending.append(line)
                pendingLines += 1
            }
            try self.flush(&pending)
            written += pendingLines
        } catch {
            throw WriteFailure(written: written, underlying: error)
        }
    }

    func close() {
        try? self.handle?.close()
        self.handle = nil
    }

    private func flush(_ pending: inout Data) throws {
        guard !pending.isEmpty, let handle = self.handle else { return }
        do {
            try self.writeBytes(handle, pending)
        } catch {
            self.cutBack(handle)
            throw error
        }
        self.size += pending.count
        pending.removeAll(keepingCapacity: true)
    }

    /// After a failed write: the file back to its last whole line (`size`), now or when it is next opened.
    private func cutBack(_ handle: FileHandle) {
        do {
            try handle.truncate(atOffset: UInt64(self.size))
            try handle.seek(toOffset: UInt64(self.size))
        } catch {
            self.cutBackTo = self.size
            self.close()
        }
    }

    private func open() throws {
        let fm = FileManager.default
        let directory = (self.path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !fm.fileExists(atPath: directory) {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        if !fm.fileExists(atPath: self.path) {
            guard fm.createFile(atPath: self.path, contents: nil) else {
                throw CaptureError.unwritable(self.path, "cannot create the capture file; check that the directory is writable")
            }
        }
        // Read as well as written: the end of the file is read to find a record a crash cut short.
        guard let handle = FileHandle(forUpdatingAtPath: self.path) else {
            throw CaptureError.unwritable(self.path, "cannot open the capture file for writing")
        }
        var end = Int(try handle.seekToEnd())
        let whole = try self.cutBackTo ?? Self.partialRecordStart(handle, size: end) ?? end
        if end > whole {
            // Nothing is appended after part of a line: cut it off first, or write nothing.
            try handle.truncate(atOffset: UInt64(whole))
            try handle.seek(toOffset: UInt64(whole))
            if self.cutBackTo == nil {
                self.logger.warning("capture file ended with part of a record (a write cut short before this start): cut back to its last whole line", metadata: [
                    "capture.path": "\(self.path)", "capture.bytes_cut": "\(end - whole)",
                ])
            }
            end = whole
        } else {
            try handle.seek(toOffset: UInt64(end))
        }
        self.cutBackTo = nil
        self.size = end
        self.handle = handle
    }

    /// How every record this writer writes begins.
    static let recordStart = Array(#"{"version":"#.utf8)

    /// Where a record cut short at the end of the file begins (just after the last newline), or `nil` when the file
    /// ends with a whole line. Only what starts as this writer's records do is taken for one: a file that is not a
    /// capture is never cut.
    static func partialRecordStart(_ handle: FileHandle, size: Int) throws -> Int? {
        guard size > 0 else { return nil }
        try handle.seek(toOffset: UInt64(size - 1))
        guard try handle.read(upToCount: 1) != Data([UInt8(ascii: "\n")]) else { return nil }
        var start = 0
        var upTo = size
        while upTo > 0 {
            let from = max(0, upTo - 64 << 10)
            try handle.seek(toOffset: UInt64(from))
            let chunk = try handle.read(upToCount: upTo - from) ?? Data()
            if let newline = chunk.lastIndex(of: UInt8(ascii: "\n")) {
                start = from + chunk.distance(from: chunk.startIndex, to: newline) + 1
                break
            }
            upTo = from
        }
        try handle.seek(toOffset: UInt64(start))
        let head = Array(try handle.read(upToCount: Self.recordStart.count) ?? Data())
        // `head` is shorter than the start of a record when the record was cut within its first bytes.
        return Self.recordStart.starts(with: head) ? start : nil
    }

    private func rotate() throws {
        self.close()
        let fm = FileManager.default
        let plan = self.policy.rotation(path: self.path)
        if fm.fileExists(atPath: plan.delete) { try fm.removeItem(atPath: plan.delete) }
        for rename in plan.renames where fm.fileExists(atPath: rename.from) {
            try fm.moveItem(atPath: rename.from, toPath: rename.to)
        }
        self.size = 0
    }
}
