import Foundation

/// The capture file on disk: appends whole lines and rotates by ``CaptureRotationPolicy``.
///
/// All of its work is blocking file I/O, so ``CaptureWriter`` calls it only on a thread pool, one batch at a time.
final class RotatingCaptureFile {
    let path: String
    let policy: CaptureRotationPolicy
    private var handle: FileHandle?
    private var size = 0

    init(path: String, policy: CaptureRotationPolicy) {
        self.path = path
        self.policy = policy
    }

    /// Appends lines (each ending in a newline), rotating between lines as needed.
    func write(lines: [Data]) throws {
        var pending = Data()
        for line in lines {
            if self.handle == nil { try self.open() }
            if self.policy.action(currentSize: self.size + pending.count, lineSize: line.count) == .rotateThenAppend {
                try self.flush(&pending)
                try self.rotate()
                try self.open()
            }
            pending.append(line)
        }
        try self.flush(&pending)
    }

    func close() {
        try? self.handle?.close()
        self.handle = nil
    }

    private func flush(_ pending: inout Data) throws {
        guard !pending.isEmpty, let handle = self.handle else { return }
        try handle.write(contentsOf: pending)
        self.size += pending.count
        pending.removeAll(keepingCapacity: true)
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
        guard let handle = FileHandle(forWritingAtPath: self.path) else {
            throw CaptureError.unwritable(self.path, "cannot open the capture file for writing")
        }
        self.size = Int(try handle.seekToEnd())
        self.handle = handle
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
