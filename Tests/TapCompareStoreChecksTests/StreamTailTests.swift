import Foundation
import NIOCore
import Synchronization
import TapCompareJSON
import TapCompareStoreClients
import Testing
@testable import TapCompareStoreChecks

/// The stream tail against a scripted stream: every event is read once, however many checks wait on it.
@Suite("a redis_stream's tail: one read per event, shared by the checks waiting on it")
struct StreamTailTests {
    /// A stream held in memory, answering `XRANGE stream start + COUNT n` as Redis does, and counting the calls.
    final class ScriptedStream: Sendable {
        struct State {
            var entries: [(id: String, data: String)] = []
            var calls = 0
        }
        private let state = Mutex(State())

        func add(ms: Int64, seq: Int = 0, commentID: Int) {
            self.state.withLock { $0.entries.append(("\(ms)-\(seq)", #"{"comment_id":\#(commentID)}"#)) }
        }

        var calls: Int { self.state.withLock { $0.calls } }

        func fetch(_ command: RedisCommand) -> RESPValue {
            self.state.withLock { (state: inout State) -> RESPValue in
                state.calls += 1
                let a = command.arguments
                let exclusive = a[2].hasPrefix("(")
                let start = Self.order(exclusive ? String(a[2].dropFirst()) : a[2])
                let count = Int(a[5]) ?? 0
                let after = state.entries.filter { exclusive ? Self.order($0.id) > start : Self.order($0.id) >= start }.prefix(count)
                return .array(after.map { entry in
                    .array([.bulkString(ByteBuffer(string: entry.id)), .array([.bulkString(ByteBuffer(string: "data")), .bulkString(ByteBuffer(string: entry.data))])])
                })
            }
        }

        /// A stream id's place in the stream: its time, then its sequence.
        static func order(_ id: String) -> Int64 {
            let parts = id.split(separator: "-").map { Int64($0) ?? 0 }
            return parts[0] * 1_000 + (parts.count > 1 ? parts[1] : 0)
        }
    }

    static let path = JSONPointer(tokens: ["data", "comment_id"])

    @Test("a thousand checks of a thousand writes cost a few XRANGE calls, not one scan each")
    func sharedReads() async throws {
        let stream = ScriptedStream()
        let base: Int64 = 1_764_800_000_000
        for i in 0..<1_000 { stream.add(ms: base + Int64(i), commentID: i) }
        let tail = StreamTail(stream: "s", path: Self.path)
        let fetch: StreamTail.Fetch = { command in stream.fetch(command) }
        for i in 0..<1_000 {
            let since = Date(timeIntervalSince1970: Double(base + Int64(i)) / 1_000)
            var lookup = await tail.lookup(.number(JSONNumber("\(i)")!), since: since)
            if lookup == .notYet {
                try await tail.refresh(every: .zero, fetch: fetch)
                lookup = await tail.lookup(.number(JSONNumber("\(i)")!), since: since)
            }
            guard case .found(let event) = lookup else { Issue.record("write \(i): \(lookup)"); return }
            #expect(event.value(at: Self.path)?.numberValue?.text == "\(i)")
        }
        // 1,000 events in pages of 200: five full pages and the empty one that says "no more", read once.
        #expect(stream.calls == 6)
    }

    @Test("an event not there yet is found by a later refresh; a string id matches a numeric one")
    func laterEvents() async throws {
        let stream = ScriptedStream()
        let base: Int64 = 1_764_800_000_000
        let tail = StreamTail(stream: "s", path: Self.path)
        let fetch: StreamTail.Fetch = { command in stream.fetch(command) }
        let since = Date(timeIntervalSince1970: Double(base) / 1_000)
        #expect(await tail.lookup(.string("7"), since: since) == .notYet)
        try await tail.refresh(every: .zero, fetch: fetch)
        #expect(await tail.lookup(.string("7"), since: since) == .notYet)
        stream.add(ms: base + 5, commentID: 7)
        try await tail.refresh(every: .zero, fetch: fetch)
        guard case .found = await tail.lookup(.string("7"), since: since) else { Issue.record("not found"); return }
        // An event before the write's time is not its event.
        #expect(await tail.lookup(.string("7"), since: since.addingTimeInterval(1)) == .notYet)
    }

    @Test("beyond its bound the tail drops the oldest events, and a write before what it covers is answered by a scan")
    func bounded() async throws {
        let stream = ScriptedStream()
        let base: Int64 = 1_764_800_000_000
        for i in 0..<100 { stream.add(ms: base + Int64(i) * 10, commentID: i) }
        let tail = StreamTail(stream: "s", path: Self.path, maxIndexed: 10)
        let fetch: StreamTail.Fetch = { command in stream.fetch(command) }
        let first = Date(timeIntervalSince1970: Double(base) / 1_000)
        _ = await tail.lookup(.number(JSONNumber("0")!), since: first)
        try await tail.refresh(every: .zero, fetch: fetch)
        #expect(await tail.lookup(.number(JSONNumber("0")!), since: first) == .uncovered)
        let recent = Date(timeIntervalSince1970: Double(base + 950) / 1_000)
        guard case .found = await tail.lookup(.number(JSONNumber("95")!), since: recent) else { Issue.record("a kept event is found"); return }
    }

    @Test("a tail far behind a new write jumps to it instead of reading the gap; older writes then get a scan")
    func jumpsAhead() async throws {
        let stream = ScriptedStream()
        let base: Int64 = 1_764_800_000_000
        let tail = StreamTail(stream: "s", path: Self.path)
        let fetch: StreamTail.Fetch = { command in stream.fetch(command) }
        stream.add(ms: base, commentID: 1)
        let first = Date(timeIntervalSince1970: Double(base) / 1_000)
        _ = await tail.lookup(.number(JSONNumber("1")!), since: first)
        try await tail.refresh(every: .zero, fetch: fetch)
        guard case .found = await tail.lookup(.number(JSONNumber("1")!), since: first) else { Issue.record("first event"); return }
        // An hour of events nobody checked, then a write checked at its end.
        for i in 0..<3_600 { stream.add(ms: base + 1_000 + Int64(i) * 1_000, commentID: 100 + i) }
        let late = Date(timeIntervalSince1970: Double(base + 3_600_000) / 1_000)
        stream.add(ms: base + 3_600_500, commentID: 9)
        let callsBefore = stream.calls
        #expect(await tail.lookup(.number(JSONNumber("9")!), since: late) == .notYet)
        try await tail.refresh(every: .zero, fetch: fetch)
        guard case .found = await tail.lookup(.number(JSONNumber("9")!), since: late) else { Issue.record("the late write's event"); return }
        #expect(stream.calls - callsBefore == 1, "one page from just before the write, not the hour's 18 pages")
        // A write from the skipped hour is older than the tail now covers: the caller scans for it.
        #expect(await tail.lookup(.number(JSONNumber("150")!), since: Date(timeIntervalSince1970: Double(base + 51_000) / 1_000)) == .uncovered)
    }
}
