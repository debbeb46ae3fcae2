import Foundation
import TapCompareJSON
import TapCompareStoreClients

/// Follows one Redis stream for the `redis_stream` checks of one side, reading each event once and indexing it by
/// the value the checks match on, so a check finds its write's event with a dictionary lookup.
///
/// Why: a check looks for "the first event since the write whose `path` equals the write's id". Scanning the stream
/// from the write's time for every check reads every event written since then again, once per check: at a
/// thousand writes a second with checks queued for a tenth of a second, each check re-read about a hundred events,
/// and that scan was most of the store checks' CPU at full write load (`bench/stores.sh`), on both tapcompare's
/// core and Redis's. Here all checks waiting on a stream share one `XRANGE` per poll, from where the last one stopped.
///
/// Bounded: at most ``maxIndexed`` events are kept (oldest dropped first) and one refresh reads at most
/// ``maxPagesPerRefresh`` pages; a tail far behind a new write (nobody waited on the stream for a while) jumps to
/// just before it instead of reading the gap. A check whose write is older than what the tail covers is answered
/// by the caller's direct scan instead (``Lookup/uncovered``), so dropping events costs speed, never a wrong answer.
actor StreamTail {
    /// What the tail knows about one check's event.
    enum Lookup: Sendable, Equatable {
        case found(JSONValue)
        /// Not read yet: it may still come.
        case notYet
        /// The write is older than the oldest event the tail covers.
        case uncovered
    }

    typealias Fetch = @Sendable (RedisCommand) async throws(StoreReadError) -> RESPValue

    let stream: String
    let path: JSONPointer
    /// Events kept for lookups; beyond it the oldest go (a check's event is normally looked up within `within`).
    let maxIndexed: Int
    /// Entries per `XRANGE`, as the reader's own scan.
    static let batch = RedisStoreReader.batch
    /// Pages one refresh reads at most, so one refresh of a stream far ahead of the tail stays short.
    static let maxPagesPerRefresh = 50
    /// How far before the first write asked the tail starts reading, in milliseconds.
    static let startMargin: Int64 = 2_000

    /// Events by the text of their value at ``path``, oldest first, with their stream time.
    private var index: [String: [(ms: Int64, event: JSONValue)]] = [:]
    /// The index's keys in the order they were read, for dropping the oldest (a ring: `order[head...]` is live).
    private var order: [(ms: Int64, key: String)] = []
    private var head = 0
    /// The stream time from which every event is indexed; `nil` before the first refresh.
    private var coveredFrom: Int64?
    /// The last entry id read, exclusive (`(id`), or the first position to read from.
    private var position: String?
    /// The stream time of the last event read (or of the first position, before any).
    private var readUpTo: Int64?
    /// Bumped when the tail jumps ahead: a refresh started before the jump drops what it read.
    private var generation = 0
    private var refreshing: Task<Void, any Error>?
    private var lastRefresh: ContinuousClock.Instant?

    init(stream: String, path: JSONPointer, maxIndexed: Int = 20_000) {
        self.stream = stream
        self.path = path
        self.maxIndexed = max(1, maxIndexed)
    }

    /// The key an event value and a write's value share when ``RedisStoreReader/same(_:_:)`` holds: the text of a
    /// string or number (`"42"` in a stream field equals `42` in the write's answer), the JSON of anything else.
    static func key(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .number(let n): return n.text
        default: return value.serialized()
        }
    }

    /// The first indexed event at or after `since` whose value at ``path`` is `equals`.
    func lookup(_ equals: JSONValue, since: Date) -> Lookup {
        let sinceMs = Self.milliseconds(since)
        guard let coveredFrom else {
            // Nothing read yet: the first refresh starts a little before the first write that asks, so writes
            // checked slightly out of order (checks run concurrently) are still covered.
            if self.position == nil { self.position = "\(max(0, sinceMs - Self.startMargin))-0" }
            return .notYet
        }
        if let match = self.index[Self.key(equals)]?.first(where: { $0.ms >= sinceMs }) { return .found(match.event) }
        if sinceMs < coveredFrom { return .uncovered }
        if let readUpTo = self.readUpTo, sinceMs - Self.startMargin > readUpTo {
            // No check waited on the stream for a while and the tail is far behind this write: reading the gap
            // could outlast the check's `within:`. Start again just before the write; checks of older writes
            // are answered by a scan (``Lookup/uncovered``).
            self.jump(to: sinceMs - Self.startMargin)
        }
        return .notYet
    }

    /// Reads what the stream gained since the last refresh, at most once per `interval` whoever asks: a caller that
    /// finds a refresh running waits for it, and one that comes too soon after the last waits out the interval.
    func refresh(every interval: Duration, fetch: @escaping Fetch) async throws(StoreReadError) {
        if let running = self.refreshing {
            try await Self.wait(running)
            return
        }
        if let last = self.lastRefresh, ContinuousClock.now < last + interval {
            try? await Task.sleep(until: last + interval)
            // Another caller may have started the refresh while this one slept.
            if let running = self.refreshing {
                try await Self.wait(running)
                return
            }
        }
        let task = Task { try await self.readNew(fetch) }
        self.refreshing = task
        defer {
            self.refreshing = nil
            self.lastRefresh = .now
        }
        try await Self.wait(task)
    }

    private static func wait(_ task: Task<Void, any Error>) async throws(StoreReadError) {
        do {
            try await task.value
        } catch let error as StoreReadError {
            throw error
        } catch {
            throw StoreReadError(reason: "query_failed", message: "\(error)")
        }
    }

    private func jump(to ms: Int64) {
        self.generation += 1
        self.index = [:]
        self.order = []
        self.head = 0
        self.position = "\(max(0, ms))-0"
        self.coveredFrom = max(0, ms)
        self.readUpTo = max(0, ms)
    }

    private func readNew(_ fetch: Fetch) async throws(StoreReadError) {
        let start = self.position ?? "\(Self.milliseconds(Date()))-0"
        if self.coveredFrom == nil {
            let ms = Self.milliseconds(fromID: start.hasPrefix("(") ? String(start.dropFirst()) : start) ?? 0
            self.coveredFrom = ms
            self.readUpTo = ms
        }
        let generation = self.generation
        var position = start
        for _ in 0..<Self.maxPagesPerRefresh {
            let reply = try await fetch(.xrange(self.stream, start: position, count: Self.batch))
            // The tail jumped while this page was on its way: what it holds belongs to the old position.
            guard generation == self.generation else { return }
            let entries = reply.elements ?? []
            for entry in entries {
                guard let (id, event) = RedisStoreReader.streamEntry(entry) else { continue }
                position = "(" + id
                let ms = Self.milliseconds(fromID: id) ?? 0
                self.readUpTo = max(self.readUpTo ?? 0, ms)
                guard let value = event.value(at: self.path) else { continue }
                self.add(event, key: Self.key(value), ms: ms)
            }
            self.position = position
            if entries.count < Self.batch { return }
        }
    }

    private func add(_ event: JSONValue, key: String, ms: Int64) {
        self.index[key, default: []].append((ms, event))
        self.order.append((ms, key))
        guard self.order.count - self.head > self.maxIndexed else { return }
        let oldest = self.order[self.head]
        self.head += 1
        if var events = self.index[oldest.key] {
            events.removeFirst()
            self.index[oldest.key] = events.isEmpty ? nil : events
        }
        // Events up to the dropped one's time may be gone: lookups for writes until then scan instead.
        self.coveredFrom = max(self.coveredFrom ?? 0, oldest.ms + 1)
        if self.head > 4_096, self.head * 2 > self.order.count {
            self.order.removeFirst(self.head)
            self.head = 0
        }
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970 * 1_000) }

    /// The time part of a stream id (`1733300000000-3` → 1733300000000).
    static func milliseconds(fromID id: String) -> Int64? {
        Int64(id.prefix { $0 != "-" })
    }
}
