/// Decides when the capture file rotates: pure logic, tested without files.
struct CaptureRotationPolicy: Sendable, Hashable {
    enum Action: Equatable {
        /// Append the line to the current file.
        case append
        /// Close the current file, shift the rotated ones (deleting the oldest) and append to a new file.
        case rotateThenAppend
    }

    let maxFileBytes: Int
    let maxFiles: Int

    /// - Parameters:
    ///   - currentSize: bytes already in the file being written.
    ///   - lineSize: bytes of the line to write, newline included.
    func action(currentSize: Int, lineSize: Int) -> Action {
        // An empty file always takes the line, even one larger than the limit: a line is never split or lost.
        if currentSize == 0 { return .append }
        return currentSize + lineSize > self.maxFileBytes ? .rotateThenAppend : .append
    }

    /// The renames a rotation makes, oldest first: `PATH.(n-1)` is deleted, `PATH.k` → `PATH.(k+1)`, `PATH` → `PATH.1`.
    /// With `maxFiles == 1` the current file is simply deleted.
    func rotation(path: String) -> (delete: String, renames: [(from: String, to: String)]) {
        let keep = max(1, self.maxFiles)
        if keep == 1 { return (path, []) }
        var renames: [(String, String)] = []
        for k in stride(from: keep - 2, through: 1, by: -1) {
            renames.append(("\(path).\(k)", "\(path).\(k + 1)"))
        }
        renames.append((path, "\(path).1"))
        return ("\(path).\(keep - 1)", renames)
    }
}
