import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The on-disk spool: batches the ledger could not take, kept in order until it can.
///
/// A directory of append-only segment files (`segment-0000000000000001.spool`, …) holding ``SpoolFrame``s. Every
/// append is `fsync`ed before it returns, so a batch the writer counts as spooled survives SIGKILL. Replay reads
/// frames oldest first; a segment is deleted once all its frames are in the ledger. A process that dies between
/// inserting a frame and deleting its segment replays it again on start-up, which the ledger's idempotent inserts
/// (by comparison id) make harmless: every comparison is stored exactly once.
///
/// The directory is locked (`flock` on `LOCK`) so two processes never share a spool; the lock dies with the
/// process, SIGKILL included.
///
/// The methods do blocking file I/O: callers run them on a thread pool (``LedgerWriter`` uses `NIOThreadPool`),
/// never on an event loop.
public final class LedgerSpool: Sendable {
    /// A frame read for replay; pass it back to ``commit(_:)`` once its batch is in the ledger.
    public struct Entry: Sendable {
        public let payload: [UInt8]
        let segment: UInt64
        let next: Int
    }

    struct Segment {
        var sequence: UInt64
        var bytes: Int
    }

    struct State {
        var segments: [Segment]
        var active: (sequence: UInt64, fd: Int32)?
        var nextSequence: UInt64
        var readSegment: UInt64?
        var readOffset: Int
        var loaded: (sequence: UInt64, bytes: [UInt8])?
        var corruptFrames: Int
    }

    public let directory: String
    /// `ledger.spool_max_bytes`.
    public let maxBytes: Int
    /// A segment is closed and a new one started past this size, so replayed data is freed segment by segment.
    let segmentBytes: Int
    private let lockFD: Int32
    private let state: NIOLockedValueBox<State>

    /// Opens (creating it if needed) and locks a spool directory, and finds segments a previous process left.
    /// - Throws: ``LedgerError`` when the directory cannot be created or is locked by another process.
    public init(directory: String, maxBytes: Int, segmentBytes: Int = 8 << 20) throws(LedgerError) {
        self.directory = directory
        self.maxBytes = maxBytes
        self.segmentBytes = segmentBytes
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw LedgerError.spool("cannot create spool directory '\(directory)' (ledger.spool_dir): \(error.localizedDescription)", underlying: error)
        }
        let lockPath = directory + "/LOCK"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw LedgerError.spool("cannot open '\(lockPath)' (ledger.spool_dir): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw LedgerError.spool("spool directory '\(directory)' is in use by another process; give each instance its own ledger.spool_dir")
        }
        self.lockFD = fd
        var segments: [Segment] = []
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasPrefix("segment-") && name.hasSuffix(".spool") {
            let digits = name.dropFirst("segment-".count).dropLast(".spool".count)
            guard let sequence = UInt64(digits) else { continue }
            var info = stat()
            guard stat(directory + "/" + name, &info) == 0 else { continue }
            segments.append(Segment(sequence: sequence, bytes: Int(info.st_size)))
        }
        segments.sort { $0.sequence < $1.sequence }
        self.state = NIOLockedValueBox(State(
            segments: segments, active: nil, nextSequence: (segments.last?.sequence ?? 0) + 1,
            readSegment: segments.first?.sequence, readOffset: 0, loaded: nil, corruptFrames: 0
        ))
    }

    deinit {
        self.state.withLockedValue { state in
            if let active = state.active { close(active.fd) }
        }
        close(self.lockFD)
    }

    /// Bytes on disk in all segments (what ``maxBytes`` caps).
    public var bytesOnDisk: Int { self.state.withLockedValue { $0.segments.reduce(0) { $0 + $1.bytes } } }

    /// Whether every spooled frame has been committed.
    public var isEmpty: Bool {
        self.state.withLockedValue { state in
            guard let first = state.segments.first else { return true }
            // Only the read position's segment can be partly consumed.
            return state.segments.count == 1 && state.readSegment == first.sequence && state.readOffset >= first.bytes
        }
    }

    /// Frames skipped because they were cut short or damaged (a crash in the middle of an append).
    public var corruptFrames: Int { self.state.withLockedValue { $0.corruptFrames } }

    private func path(_ sequence: UInt64) -> String {
        let digits = String(sequence)
        return self.directory + "/segment-" + String(repeating: "0", count: max(0, 16 - digits.count)) + digits + ".spool"
    }

    /// Runs `body` under the lock, keeping its typed error (`withLockedValue` is `rethrows`, so it loses the type).
    private func locked<T>(_ body: (inout State) throws(LedgerError) -> T) throws(LedgerError) -> T {
        let result: Result<T, LedgerError> = self.state.withLockedValue { state in
            do throws(LedgerError) { return .success(try body(&state)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Appends one batch and `fsync`s it.
    /// - Returns: `false`, writing nothing, when the batch would take the spool past ``maxBytes``.
    /// - Throws: ``LedgerError`` when the disk refuses the write.
    public func append(_ payload: [UInt8]) throws(LedgerError) -> Bool {
        let frame = SpoolFrame.encode(payload)
        return try self.locked { state throws(LedgerError) -> Bool in
            let total = state.segments.reduce(0) { $0 + $1.bytes }
            guard total + frame.count <= self.maxBytes else { return false }
            if let active = state.active, let seg = state.segments.last, seg.sequence == active.sequence, seg.bytes >= self.segmentBytes {
                close(active.fd)
                state.active = nil
            }
            if state.active == nil {
                let sequence = state.nextSequence
                let fd = open(self.path(sequence), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
                guard fd >= 0 else {
                    throw LedgerError.spool("cannot create a spool segment in '\(self.directory)': \(String(cString: strerror(errno)))")
                }
                state.nextSequence += 1
                state.active = (sequence, fd)
                state.segments.append(Segment(sequence: sequence, bytes: 0))
                if state.readSegment == nil {
                    state.readSegment = sequence
                    state.readOffset = 0
                }
                Self.syncDirectory(self.directory)
            }
            let fd = state.active!.fd
            var written = 0
            while written < frame.count {
                let n = frame[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    let reason = String(cString: strerror(errno))
                    // A partial frame may be on disk; start a new segment so later frames are not behind it.
                    close(fd)
                    state.active = nil
                    if written > 0 { state.segments[state.segments.count - 1].bytes += written }
                    throw LedgerError.spool("cannot write to the spool in '\(self.directory)': \(reason)")
                }
                written += n
            }
            guard fsync(fd) == 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                state.active = nil
                state.segments[state.segments.count - 1].bytes += written
                throw LedgerError.spool("cannot fsync the spool in '\(self.directory)': \(reason)")
            }
            state.segments[state.segments.count - 1].bytes += written
            return true
        }
    }

    /// The oldest frame not yet committed, or `nil` when there is none. Damaged frames are skipped (and counted).
    public func peek() throws(LedgerError) -> Entry? {
        try self.locked { state throws(LedgerError) -> Entry? in
            while let sequence = state.readSegment {
                guard let index = state.segments.firstIndex(where: { $0.sequence == sequence }) else {
                    state.readSegment = state.segments.first?.sequence
                    state.readOffset = 0
                    continue
                }
                let size = state.segments[index].bytes
                if state.readOffset < size {
                    if state.loaded?.sequence != sequence || state.loaded!.bytes.count < size {
                        state.loaded = (sequence, try self.readFile(self.path(sequence)))
                    }
                    let bytes = state.loaded!.bytes
                    switch SpoolFrame.decode(bytes, at: state.readOffset) {
                    case .frame(let payload, let next):
                        return Entry(payload: Array(payload), segment: sequence, next: next)
                    case .incomplete, .corrupt:
                        // The rest of this segment is unreadable: a crash cut its last append short (or the
                        // disk damaged it). Nothing after it in this segment can be trusted; move on.
                        state.corruptFrames += 1
                        state.readOffset = size
                        if state.active?.sequence == sequence, let active = state.active {
                            close(active.fd)
                            state.active = nil
                        }
                    }
                }
                // This segment is consumed.
                if state.active?.sequence == sequence { return nil }
                self.removeSegment(at: index, state: &state)
            }
            return nil
        }
    }

    /// Marks a frame from ``peek()`` as stored; frees its segment once the whole segment is.
    public func commit(_ entry: Entry) {
        self.state.withLockedValue { state in
            guard state.readSegment == entry.segment else { return }
            state.readOffset = entry.next
            guard let index = state.segments.firstIndex(where: { $0.sequence == entry.segment }),
                  state.readOffset >= state.segments[index].bytes
            else { return }
            if let active = state.active, active.sequence == entry.segment {
                close(active.fd)
                state.active = nil
            }
            self.removeSegment(at: index, state: &state)
        }
    }

    private func removeSegment(at index: Int, state: inout State) {
        let sequence = state.segments[index].sequence
        unlink(self.path(sequence))
        state.segments.remove(at: index)
        if state.loaded?.sequence == sequence { state.loaded = nil }
        state.readSegment = state.segments.first?.sequence
        state.readOffset = 0
    }

    private func readFile(_ path: String) throws(LedgerError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LedgerError.spool("cannot read spool segment '\(path)'")
        }
        return [UInt8](data)
    }

    private static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }
}
