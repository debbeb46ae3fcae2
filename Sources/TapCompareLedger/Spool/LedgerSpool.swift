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
/// frames oldest first; a segment is deleted once all its frames are in the ledger. The writer saves a
/// ``FinishedSegment`` mark before that delete (``finishing(_:)``, with its gaps and the replay's progress in one
/// atomic write), so a segment whose delete fails (`EACCES`, `EBUSY`) or is cut off by a crash is never replayed
/// again by the next process: ``restore(_:)`` sets it aside and the delete is retried (``retryDeletes()``). Replaying
/// it again would store nothing twice (inserts are idempotent by comparison id) but would count its losses — refused
/// rows, frames that cannot be read — a second time, and write rows a retention prune had deleted back into the
/// ledger. (Within a segment, where a replay counted a loss the writer saves the position with its gaps and resumes
/// there, see ``resume(at:)``, so the loss is not counted twice.)
///
/// Bytes that are not a whole frame are returned as ``Content/damaged(bytes:)`` entries, never skipped silently: the
/// writer counts them and records the gap. A failed append cuts its partial frame off again, so what replay finds
/// damaged is only what a crash or the disk damaged. Where that cut fails too, the segment keeps the partial frame
/// and replay stops before it; the writer saves a ``CutShortSegment`` mark with the batch's `spool_error` gap, so a
/// process that starts before the replay stops there too rather than count the same batch again as damage.
///
/// The directory is locked (`flock` on `LOCK`) so two processes never share a spool; the lock dies with the
/// process, SIGKILL included.
///
/// The methods do blocking file I/O: callers run them on a thread pool (``LedgerWriter`` uses `NIOThreadPool`),
/// never on an event loop.
public final class LedgerSpool: Sendable {
    /// Where an entry is in the spool and what was there, so that a position saved before a restart is trusted only
    /// while the same bytes are still there (segment numbers start again at 1 once the spool has been emptied).
    public struct Position: Sendable, Hashable, Codable {
        let segment: UInt64
        let offset: Int
        /// The entry's length in bytes, and a CRC-32 of it (a frame's own, of its payload; of the bytes for damage).
        let length: Int
        let checksum: UInt32
    }

    /// What an entry holds.
    public enum Content: Sendable, Equatable {
        /// A whole frame (its length and checksum right): the payload of one spooled batch.
        case batch([UInt8])
        /// Bytes that are not a whole frame (checksum, magic or length wrong, or cut short), with the rest of their
        /// segment (`bytes` in all): a frame's length is what finds the next one, so nothing after them in that
        /// segment can be read.
        case damaged(bytes: Int)
    }

    /// An entry read for replay; pass it back to ``commit(_:)`` once its batch is in the ledger (or its loss counted).
    public struct Entry: Sendable {
        public let content: Content
        public let position: Position

        /// The batch of a whole frame; `nil` for damaged bytes.
        public var payload: [UInt8]? {
            if case .batch(let payload) = self.content { return payload }
            return nil
        }

        var segment: UInt64 { self.position.segment }
        var next: Int { self.position.offset + self.position.length }
    }

    /// A segment every entry of which is stored or counted, whose file is being deleted (or could not be): it is
    /// never replayed again, in this process or (saved by the writer, ``Marks``) the next one. Known again after a
    /// restart only by the same file: its size and a CRC-32 of all its bytes (segment numbers start again at 1 once
    /// the spool is emptied).
    public struct FinishedSegment: Sendable, Hashable, Codable {
        let segment: UInt64
        let bytes: Int
        let checksum: UInt32
    }

    /// A segment ending in part of a frame that a failed append could not cut off (``LedgerMetrics/SpoolError/truncate``):
    /// replay reads it up to `readable` only (the batch is already counted as dropped). Known again after a restart
    /// only by the same file: its size and a CRC-32 of the bytes after `readable`.
    public struct CutShortSegment: Sendable, Hashable, Codable {
        let segment: UInt64
        let readable: Int
        let bytes: Int
        let checksum: UInt32
    }

    /// What the spool knows that its files do not say, for the writer to save next to it (`pending-gaps.json`) and
    /// give back to ``restore(_:)`` after a restart.
    public struct Marks: Sendable, Hashable, Codable {
        var finished: [FinishedSegment] = []
        var cutShort: [CutShortSegment] = []

        var isEmpty: Bool { self.finished.isEmpty && self.cutShort.isEmpty }
    }

    /// A replayed segment whose file could not be deleted (kept, and retried by ``retryDeletes()``).
    public struct DeleteFailure: Sendable, Hashable {
        public let path: String
        public let reason: String
    }

    /// What ``append(_:)`` did with a batch.
    public enum Appended: Sendable, Equatable {
        /// Written and `fsync`ed: it survives a crash of the process or the machine.
        case durable
        /// Written whole, but `fsync` failed (`reason`): the frame is in the spool and replays like any other, so
        /// it is spooled, not lost. It is not known to be on the disk: should a crash (or the kernel dropping the
        /// unwritten page) lose it before the replay, the replay finds it damaged and that loss is counted then.
        case notSynced(reason: String)
        /// Nothing written: the batch would take the spool past ``maxBytes``.
        case full
    }

    struct Segment {
        var sequence: UInt64
        /// Bytes in the file (what ``maxBytes`` caps).
        var bytes: Int
        /// Bytes holding whole frames: less than `bytes` only when a failed append left part of a frame it could not
        /// cut off (``LedgerMetrics/SpoolError/truncate``). Its batch is already counted as dropped: replay stops
        /// before it rather than report it as damage and count it twice.
        var readable: Int
        /// Set where `readable` is less than `bytes`: what the writer saves so the next process stops there too.
        var cutShort: CutShortSegment?
    }

    struct State {
        var segments: [Segment]
        var active: (sequence: UInt64, fd: Int32)?
        var nextSequence: UInt64
        var readSegment: UInt64?
        var readOffset: Int
        var loaded: (sequence: UInt64, bytes: [UInt8])?
        /// Segments all replayed whose files are still on disk: a delete that failed, retried by ``retryDeletes()``.
        var finished: [FinishedSegment] = []
        /// Deletes that failed in ``peek()`` (which returns an entry), for ``takeDeleteFailures()``.
        var unreportedDeleteFailures: [DeleteFailure] = []
    }

    public let directory: String
    /// `ledger.spool_max_bytes`.
    public let maxBytes: Int
    /// A segment is closed and a new one started past this size, so replayed data is freed segment by segment.
    let segmentBytes: Int
    /// Where the spool's I/O errors are counted (``LedgerMetrics/SpoolError``); `nil`: nowhere.
    let metrics: LedgerMetrics?
    private let calls: SpoolFileCalls
    private let lockFD: Int32
    private let state: NIOLockedValueBox<State>

    /// Opens (creating it if needed) and locks a spool directory, and finds segments a previous process left.
    /// - Parameters:
    ///   - metrics: Counts the spool's I/O errors. Default: not counted.
    ///   - calls: The system calls that write segments (``SpoolFileCalls/system``; tests pass failing ones).
    /// - Throws: ``LedgerError`` when the directory cannot be created or is locked by another process.
    init(
        directory: String, maxBytes: Int, segmentBytes: Int = 8 << 20, metrics: LedgerMetrics? = nil,
        calls: SpoolFileCalls
    ) throws(LedgerError) {
        self.directory = directory
        self.maxBytes = maxBytes
        self.segmentBytes = segmentBytes
        self.metrics = metrics
        self.calls = calls
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
            segments.append(Segment(sequence: sequence, bytes: Int(info.st_size), readable: Int(info.st_size)))
        }
        segments.sort { $0.sequence < $1.sequence }
        self.state = NIOLockedValueBox(State(
            segments: segments, active: nil, nextSequence: (segments.last?.sequence ?? 0) + 1,
            readSegment: segments.first?.sequence, readOffset: 0, loaded: nil
        ))
    }

    /// Opens (creating it if needed) and locks a spool directory, and finds segments a previous process left.
    /// - Parameter metrics: Counts the spool's I/O errors. Default: not counted.
    /// - Throws: ``LedgerError`` when the directory cannot be created or is locked by another process.
    public convenience init(directory: String, maxBytes: Int, segmentBytes: Int = 8 << 20, metrics: LedgerMetrics? = nil) throws(LedgerError) {
        try self.init(directory: directory, maxBytes: maxBytes, segmentBytes: segmentBytes, metrics: metrics, calls: .system)
    }

    deinit {
        self.state.withLockedValue { state in
            if let active = state.active { close(active.fd) }
        }
        close(self.lockFD)
    }

    /// Bytes on disk in all segments (what ``maxBytes`` caps), replayed ones not yet deleted included.
    public var bytesOnDisk: Int { self.state.withLockedValue { Self.bytesOnDisk($0) } }

    private static func bytesOnDisk(_ state: State) -> Int {
        state.segments.reduce(0) { $0 + $1.bytes } + state.finished.reduce(0) { $0 + $1.bytes }
    }

    /// What the writer saves next to the spool: the segments replayed but not yet deleted, and those cut short.
    public var marks: Marks {
        self.state.withLockedValue { state in
            Marks(finished: state.finished, cutShort: state.segments.compactMap(\.cutShort))
        }
    }

    /// Whether every spooled frame has been committed.
    public var isEmpty: Bool {
        self.state.withLockedValue { state in
            guard let first = state.segments.first else { return true }
            // Only the read position's segment can be partly consumed.
            return state.segments.count == 1 && state.readSegment == first.sequence && state.readOffset >= first.readable
        }
    }

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
    /// - Returns: What was done with it: ``Appended/full`` (nothing written) when it would take the spool past
    ///   ``maxBytes``.
    /// - Throws: ``LedgerError`` when the disk refuses the write: nothing of the batch is left to replay.
    public func append(_ payload: [UInt8]) throws(LedgerError) -> Appended {
        let frame = SpoolFrame.encode(payload)
        return try self.locked { state throws(LedgerError) -> Appended in
            let total = Self.bytesOnDisk(state)
            guard total + frame.count <= self.maxBytes else { return .full }
            if let active = state.active, let seg = state.segments.last, seg.sequence == active.sequence, seg.bytes >= self.segmentBytes {
                close(active.fd)
                state.active = nil
            }
            if state.active == nil {
                let sequence = state.nextSequence
                let fd = open(self.path(sequence), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
                guard fd >= 0 else {
                    let reason = String(cString: strerror(errno))
                    self.metrics?.spoolError(.write)
                    throw LedgerError.spool("cannot create a spool segment in '\(self.directory)' (ledger.spool_dir): \(reason); make the directory writable or point ledger.spool_dir at another")
                }
                state.nextSequence += 1
                state.active = (sequence, fd)
                state.segments.append(Segment(sequence: sequence, bytes: 0, readable: 0))
                if state.readSegment == nil {
                    state.readSegment = sequence
                    state.readOffset = 0
                }
                Self.syncDirectory(self.directory)
            }
            let fd = state.active!.fd
            let last = state.segments.count - 1
            let start = state.segments[last].bytes
            var written = 0
            while written < frame.count {
                let n = frame[written...].withUnsafeBytes { self.calls.write(fd, $0) }
                if n > 0 {
                    written += n
                    continue
                }
                if n < 0 && errno == EINTR { continue }
                let reason = n < 0 ? String(cString: strerror(errno)) : "the disk took no bytes"
                self.abandonFrame(frame, fd: fd, start: start, written: written, state: &state)
                self.metrics?.spoolError(.write)
                throw LedgerError.spool("cannot write to the spool in '\(self.directory)' (ledger.spool_dir): \(reason); free space on its disk or point ledger.spool_dir at another")
            }
            state.segments[last].bytes += written
            state.segments[last].readable += written
            guard self.calls.fsync(fd) == 0 else {
                let reason = String(cString: strerror(errno))
                self.metrics?.spoolError(.fsync)
                // The frame stays: it is whole in the file and replays (dropping it now would record a gap for a
                // batch that then reaches the ledger anyway). The segment is closed, so the frames after it go to
                // a new one and cannot be lost with it should the kernel lose this page.
                close(fd)
                state.active = nil
                return .notSynced(reason: reason)
            }
            return .durable
        }
    }

    /// A failed append: cuts what reached the file of its frame off again, so replay never meets half a frame
    /// whose batch the caller already counts as dropped (found damaged later, it would be counted twice). Where the
    /// truncate fails too, the segment's ``Segment/readable`` end stops replay before it, and its
    /// ``CutShortSegment`` mark (in ``marks``) lets the writer save that end for the next process. The segment is
    /// closed either way; the next append starts a new one.
    private func abandonFrame(_ frame: [UInt8], fd: Int32, start: Int, written: Int, state: inout State) {
        let last = state.segments.count - 1
        if written > 0 && self.calls.ftruncate(fd, start) != 0 {
            self.metrics?.spoolError(.truncate)
            state.segments[last].bytes = start + written
            state.segments[last].cutShort = CutShortSegment(
                segment: state.segments[last].sequence, readable: start, bytes: start + written, checksum: CRC32.checksum(frame.prefix(written))
            )
        }
        close(fd)
        state.active = nil
    }

    /// The oldest entry not yet committed, or `nil` when there is none: a batch, or damaged bytes (returned like a
    /// batch, so the caller counts them before ``commit(_:)`` moves past them).
    /// - Throws: ``LedgerError`` when a segment cannot be read.
    public func peek() throws(LedgerError) -> Entry? {
        try self.locked { state throws(LedgerError) -> Entry? in
            while let sequence = state.readSegment {
                guard let index = state.segments.firstIndex(where: { $0.sequence == sequence }) else {
                    state.readSegment = state.segments.first?.sequence
                    state.readOffset = 0
                    continue
                }
                let segment = state.segments[index]
                if state.readOffset < segment.readable {
                    let bytes = try self.load(segment, state: &state)
                    return self.entry(in: segment, bytes: bytes, at: state.readOffset)
                }
                // This segment is consumed.
                if state.active?.sequence == sequence { return nil }
                if let failure = self.removeSegment(at: index, state: &state) { state.unreportedDeleteFailures.append(failure) }
            }
            return nil
        }
    }

    /// Moves the read position to `position`, which the writer saved with its gaps before a restart, so that the
    /// entries before it (already stored, or their losses already counted) are not replayed again. Only when
    /// `position` is in the oldest segment and the same entry is still there; otherwise the spool is read from its
    /// start as it would be anyway.
    /// - Returns: Whether the read position moved.
    /// - Throws: ``LedgerError`` when the segment cannot be read.
    public func resume(at position: Position) throws(LedgerError) -> Bool {
        try self.locked { state throws(LedgerError) -> Bool in
            guard let segment = state.segments.first, segment.sequence == position.segment, state.readSegment == segment.sequence,
                  position.offset >= 0, position.offset < segment.readable
            else { return false }
            let bytes = try self.load(segment, state: &state)
            guard self.entry(in: segment, bytes: bytes, at: position.offset).position == position else { return false }
            state.readOffset = position.offset
            return true
        }
    }

    /// The mark of the segment that committing `entry` finishes (its last entry), `nil` when the segment has more
    /// to replay. The writer saves it before ``commit(_:)`` deletes the file, so that a delete that fails, or a crash
    /// before it, never has the next process replay the segment again.
    public func finishing(_ entry: Entry) -> FinishedSegment? {
        self.state.withLockedValue { state in
            guard state.readSegment == entry.segment,
                  let segment = state.segments.first(where: { $0.sequence == entry.segment }), entry.next >= segment.readable
            else { return nil }
            return self.finishedMark(segment, state: state)
        }
    }

    /// Marks an entry from ``peek()`` as done (its batch stored, or its loss counted); deletes its segment once the
    /// whole segment is.
    /// - Returns: The segment's delete, when it failed: counted (``LedgerMetrics/SpoolError/unlink``); the segment is
    ///   not replayed again, and its delete is retried by ``retryDeletes()``.
    @discardableResult
    public func commit(_ entry: Entry) -> DeleteFailure? {
        self.state.withLockedValue { state in
            guard state.readSegment == entry.segment else { return nil }
            state.readOffset = entry.next
            guard let index = state.segments.firstIndex(where: { $0.sequence == entry.segment }),
                  state.readOffset >= state.segments[index].readable
            else { return nil }
            if let active = state.active, active.sequence == entry.segment {
                close(active.fd)
                state.active = nil
            }
            return self.removeSegment(at: index, state: &state)
        }
    }

    /// The deletes of consumed segments that failed in ``peek()`` since the last call (counted already), to log.
    public func takeDeleteFailures() -> [DeleteFailure] {
        self.state.withLockedValue { state in
            defer { state.unreportedDeleteFailures = [] }
            return state.unreportedDeleteFailures
        }
    }

    /// Whether segments replayed whole are still on disk, their delete failed (``retryDeletes()``).
    public var hasUndeletedSegments: Bool { self.state.withLockedValue { !$0.finished.isEmpty } }

    /// Tries again to delete the segments replayed whose delete failed.
    /// - Returns: Those that still cannot be deleted (each counted again, ``LedgerMetrics/SpoolError/unlink``).
    public func retryDeletes() -> [DeleteFailure] {
        self.state.withLockedValue { state in
            var failures: [DeleteFailure] = []
            state.finished.removeAll { finished in
                guard let failure = self.delete(finished.segment) else { return true }
                failures.append(failure)
                return false
            }
            return failures
        }
    }

    /// Takes back what a previous process saved (``marks``): a segment it replayed whole is set aside, not replayed
    /// again (its delete is left to ``retryDeletes()``); a segment it cut short is read up to where it stopped. Only
    /// where the same file is still there: a mark whose segment is gone or holds other bytes is dropped.
    public func restore(_ marks: Marks) {
        self.state.withLockedValue { state in
            for mark in marks.cutShort {
                guard let index = state.segments.firstIndex(where: { $0.sequence == mark.segment }),
                      state.segments[index].bytes == mark.bytes, mark.readable >= 0, mark.readable <= mark.bytes,
                      let bytes = FileManager.default.contents(atPath: self.path(mark.segment)).map([UInt8].init),
                      bytes.count == mark.bytes, CRC32.checksum(bytes[mark.readable...]) == mark.checksum
                else { continue }
                state.segments[index].readable = mark.readable
                state.segments[index].cutShort = mark
            }
            for mark in marks.finished where !state.finished.contains(mark) {
                guard let index = state.segments.firstIndex(where: { $0.sequence == mark.segment }),
                      state.active?.sequence != mark.segment,
                      self.finishedMark(state.segments[index], state: state) == mark
                else { continue }
                state.segments.remove(at: index)
                state.finished.append(mark)
                if state.loaded?.sequence == mark.segment { state.loaded = nil }
                if state.readSegment == mark.segment {
                    state.readSegment = state.segments.first?.sequence
                    state.readOffset = 0
                }
            }
        }
    }

    /// The entry at `offset` of a segment whose bytes are `bytes`.
    private func entry(in segment: Segment, bytes: [UInt8], at offset: Int) -> Entry {
        switch SpoolFrame.decode(bytes, at: offset, end: segment.readable) {
        case .frame(let payload, let checksum, let next):
            let position = Position(segment: segment.sequence, offset: offset, length: next - offset, checksum: checksum)
            return Entry(content: .batch(Array(payload)), position: position)
        case .incomplete, .corrupt:
            // A crash cut the segment's last append short, or the disk damaged it: the rest of the segment is lost.
            let damaged = bytes[min(offset, bytes.count)..<min(segment.readable, bytes.count)]
            let position = Position(segment: segment.sequence, offset: offset, length: segment.readable - offset, checksum: CRC32.checksum(damaged))
            return Entry(content: .damaged(bytes: position.length), position: position)
        }
    }

    /// When the segment of `position` was last written: after every comparison in it was recorded (the upper
    /// bound of a loss whose comparisons cannot be read). Its creation is no bound: Foundation on Linux reports
    /// the modification time for it, and `statx` is not in Swift's Glibc module.
    func segmentModified(of position: Position) -> Date {
        (try? FileManager.default.attributesOfItem(atPath: self.path(position.segment)))?[.modificationDate] as? Date ?? Date()
    }

    /// A segment's bytes, read once and kept while replay is in it (read again when appends have grown it).
    private func load(_ segment: Segment, state: inout State) throws(LedgerError) -> [UInt8] {
        if let loaded = state.loaded, loaded.sequence == segment.sequence, loaded.bytes.count >= segment.readable {
            return loaded.bytes
        }
        let bytes = try self.readFile(self.path(segment.sequence))
        state.loaded = (segment.sequence, bytes)
        return bytes
    }

    /// A consumed segment leaves the replay and is deleted; one whose delete fails is kept aside (``State/finished``)
    /// for ``retryDeletes()``.
    @discardableResult
    private func removeSegment(at index: Int, state: inout State) -> DeleteFailure? {
        let segment = state.segments[index]
        state.segments.remove(at: index)
        state.readSegment = state.segments.first?.sequence
        state.readOffset = 0
        guard let failure = self.delete(segment.sequence) else {
            if state.loaded?.sequence == segment.sequence { state.loaded = nil }
            return nil
        }
        // Without a mark (its bytes unreadable) the next process may replay it again, as before there were marks.
        if let mark = self.finishedMark(segment, state: state) { state.finished.append(mark) }
        if state.loaded?.sequence == segment.sequence { state.loaded = nil }
        return failure
    }

    /// Deletes a segment's file: `nil` when done (or already gone), what failed otherwise (counted).
    private func delete(_ sequence: UInt64) -> DeleteFailure? {
        let path = self.path(sequence)
        guard self.calls.unlink(path) != 0 else { return nil }
        let code = errno
        if code == ENOENT { return nil }
        self.metrics?.spoolError(.unlink)
        return DeleteFailure(path: path, reason: String(cString: strerror(code)))
    }

    /// A segment's ``FinishedSegment`` mark: its size and the CRC-32 of its bytes (those read for replay when they are
    /// the whole file); `nil` when the file cannot be read.
    private func finishedMark(_ segment: Segment, state: State) -> FinishedSegment? {
        let bytes: [UInt8]
        if let loaded = state.loaded, loaded.sequence == segment.sequence, loaded.bytes.count == segment.bytes {
            bytes = loaded.bytes
        } else if let data = FileManager.default.contents(atPath: self.path(segment.sequence)), data.count == segment.bytes {
            bytes = [UInt8](data)
        } else {
            return nil
        }
        return FinishedSegment(segment: segment.sequence, bytes: segment.bytes, checksum: CRC32.checksum(bytes))
    }

    private func readFile(_ path: String) throws(LedgerError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            self.metrics?.spoolError(.read)
            throw LedgerError.spool("cannot read spool segment '\(path)'; make it readable by this process (the replay is retried every ledger.retry_interval)")
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

/// The system calls with which ``LedgerSpool`` writes a segment, so that a test can make the disk fail the way real
/// disks do (a short write, `ENOSPC`, `EIO` from `fsync`, a truncate refused) at the append it chooses. Each behaves
/// as its libc function: `-1` with `errno` set on failure. ``system`` is what production uses.
struct SpoolFileCalls: Sendable {
    var write: @Sendable (_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int
    var fsync: @Sendable (_ fd: Int32) -> Int32
    var ftruncate: @Sendable (_ fd: Int32, _ length: Int) -> Int32
    /// Deletes a replayed segment.
    var unlink: @Sendable (_ path: String) -> Int32

    static let system = SpoolFileCalls(write: systemWrite, fsync: systemFsync, ftruncate: systemFtruncate, unlink: systemUnlink)
}

// At file scope, where the names are libc's rather than ``SpoolFileCalls``' properties.
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int { write(fd, bytes.baseAddress, bytes.count) }
private func systemFsync(_ fd: Int32) -> Int32 { fsync(fd) }
private func systemFtruncate(_ fd: Int32, _ length: Int) -> Int32 { ftruncate(fd, off_t(length)) }
private func systemUnlink(_ path: String) -> Int32 { unlink(path) }
