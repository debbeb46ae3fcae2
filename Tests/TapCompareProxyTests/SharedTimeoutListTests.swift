import NIOCore
import NIOEmbedded
import Testing
@testable import TapCompareProxy

/// The candidate calls' `mirror.timeout`: every member must expire exactly at its own deadline, never after it
/// was removed, and the loop must carry one pending task, not one per member.
@Suite("Shared timeout list") struct SharedTimeoutListTests {
    final class Member: SharedTimeoutMember {
        let name: String
        var deadline = NIODeadline.distantFuture
        var isWaiting = false
        var newerWaiting: Member?
        unowned(unsafe) var olderWaiting: Member?
        var onExpiry: (Member) -> Void

        init(_ name: String, onExpiry: @escaping (Member) -> Void) {
            self.name = name
            self.onExpiry = onExpiry
        }

        func expired() { self.onExpiry(self) }
    }

    final class Probe {
        let loop = EmbeddedEventLoop()
        lazy var list = SharedTimeoutList<Member>(eventLoop: self.loop, timeout: .seconds(10))
        var expired: [(String, NIODeadline)] = []

        func add(_ name: String) -> Member {
            let member = Member(name) { [unowned self] in self.expired.append(($0.name, self.loop.now)) }
            self.list.add(member)
            return member
        }
    }

    @Test("members expire at their own deadlines, in the order they were added, each once")
    func expiryOrder() {
        let probe = Probe()
        let start = probe.loop.now
        _ = probe.add("a")
        probe.loop.advanceTime(by: .seconds(3))
        _ = probe.add("b")
        probe.loop.advanceTime(by: .seconds(4))
        _ = probe.add("c")
        probe.loop.advanceTime(by: .seconds(3))
        #expect(probe.expired.map(\.0) == ["a"])
        probe.loop.advanceTime(by: .seconds(30))
        #expect(probe.expired.map(\.0) == ["a", "b", "c"])
        #expect(probe.expired.map(\.1) == [start + .seconds(10), start + .seconds(13), start + .seconds(17)])
        #expect(probe.list.count == 0)
        #expect(probe.list.scheduledAt == nil)
    }

    @Test("a removed member never expires, wherever it was in the list; the others keep their deadlines")
    func removal() {
        let probe = Probe()
        let start = probe.loop.now
        let a = probe.add("a")
        probe.loop.advanceTime(by: .seconds(1))
        let b = probe.add("b")
        probe.loop.advanceTime(by: .seconds(1))
        _ = probe.add("c")
        probe.loop.advanceTime(by: .seconds(1))
        let d = probe.add("d")
        probe.list.remove(b)  // the middle
        probe.list.remove(a)  // the oldest
        probe.list.remove(d)  // the newest
        probe.list.remove(d)  // twice: nothing happens
        #expect(probe.list.count == 1)
        probe.loop.advanceTime(by: .seconds(60))
        #expect(probe.expired.map(\.0) == ["c"])
        #expect(probe.expired.map(\.1) == [start + .seconds(12)])
        _ = probe.add("e")
        probe.loop.advanceTime(by: .seconds(10))
        #expect(probe.expired.map(\.0) == ["c", "e"])
    }

    @Test("a thousand members added and removed keep one task pending, never one per member")
    func oneTask() {
        let probe = Probe()
        let start = probe.loop.now
        for i in 0..<1_000 {
            let member = probe.add("m\(i)")
            #expect(probe.list.scheduledAt == start + .seconds(10))
            probe.loop.advanceTime(by: .milliseconds(1))
            probe.list.remove(member)
        }
        let last = probe.add("last")
        // The first task fires at 10 s, finds only `last` and schedules itself for its deadline.
        probe.loop.advanceTime(to: start + .seconds(10))
        #expect(probe.list.scheduledAt == last.deadline)
        #expect(probe.expired.isEmpty)
        probe.loop.advanceTime(to: last.deadline)
        #expect(probe.expired.map(\.0) == ["last"])
    }

    @Test("a member that expires removes the next one from its handler: that one is not expired")
    func removedByAnExpiry() {
        let probe = Probe()
        let first = probe.add("first")
        let second = probe.add("second")
        first.onExpiry = { [unowned probe] member in
            probe.expired.append((member.name, probe.loop.now))
            probe.list.remove(second)
        }
        probe.loop.advanceTime(by: .seconds(10))
        #expect(probe.expired.map(\.0) == ["first"])
        #expect(probe.list.count == 0)
    }
}
