import NIOCore
import NIOEmbedded
import Testing
@testable import TapCompareProxy

/// The header and idle timers move their deadline on every request; the coalesced timer must still expire exactly
/// at the last deadline armed, never after a disarm, and without a task per move.
@Suite("Coalesced timer") struct CoalescedTimerTests {
    /// A timer on an embedded loop, and how many times it expired.
    final class Probe {
        let loop = EmbeddedEventLoop()
        lazy var timer = CoalescedTimer(eventLoop: self.loop)
        var expiries = 0

        func arm(in amount: TimeAmount) {
            self.timer.arm(at: self.loop.now + amount) { [self] in self.expiries += 1 }
        }

        func advance(by amount: TimeAmount) {
            self.loop.advanceTime(by: amount)
        }
    }

    @Test("a deadline moved later expires at the later time, once")
    func movedLater() {
        let probe = Probe()
        probe.arm(in: .seconds(10))
        probe.advance(by: .seconds(4))
        probe.arm(in: .seconds(10))  // now due at 14 s
        probe.advance(by: .seconds(6))  // 10 s: the first task fires and re-schedules
        #expect(probe.expiries == 0)
        probe.advance(by: .milliseconds(3_999))
        #expect(probe.expiries == 0)
        probe.advance(by: .milliseconds(1))
        #expect(probe.expiries == 1)
        probe.advance(by: .seconds(60))
        #expect(probe.expiries == 1)
    }

    @Test("a deadline moved earlier expires at the earlier time")
    func movedEarlier() {
        let probe = Probe()
        probe.arm(in: .seconds(10))
        probe.arm(in: .seconds(3))
        probe.advance(by: .seconds(3))
        #expect(probe.expiries == 1)
        probe.advance(by: .seconds(10))
        #expect(probe.expiries == 1)
    }

    @Test("a disarmed timer never expires, and armed again it expires at the new deadline")
    func disarmThenArm() {
        let probe = Probe()
        probe.arm(in: .seconds(10))
        probe.timer.disarm()
        probe.advance(by: .seconds(20))
        #expect(probe.expiries == 0)
        probe.arm(in: .seconds(5))
        probe.advance(by: .seconds(5))
        #expect(probe.expiries == 1)
    }

    @Test("a thousand requests' worth of moves schedule no task beyond the first arming's")
    func oneTaskPerPeriod() {
        let probe = Probe()
        let start = probe.loop.now
        for _ in 0..<1_000 {
            probe.arm(in: .seconds(30))
            probe.timer.disarm()
            probe.advance(by: .milliseconds(1))
        }
        probe.arm(in: .seconds(30))
        #expect(probe.timer.scheduledAt == start + .seconds(30))
        #expect(probe.timer.deadline == probe.loop.now + .seconds(30))
        probe.advance(by: .seconds(29))
        // The first arming's task fired at 30 s and scheduled the one for the deadline.
        #expect(probe.timer.scheduledAt == probe.timer.deadline)
        #expect(probe.expiries == 0)
        probe.advance(by: .seconds(1))
        #expect(probe.expiries == 1)
        #expect(probe.timer.scheduledAt == nil)
    }

    @Test("a cancelled timer does not fire even with a deadline due")
    func cancelled() {
        let probe = Probe()
        probe.arm(in: .seconds(1))
        probe.timer.cancel()
        probe.advance(by: .seconds(2))
        #expect(probe.expiries == 0)
        #expect(probe.timer.deadline == nil)
    }

    @Test("arm(at:) re-arms with the closure given once; after cancel() it arms nothing and lets the owner go")
    func reusedClosure() {
        final class Owner {
            let timer: CoalescedTimer
            var expiries = 0
            init(loop: EmbeddedEventLoop) { self.timer = CoalescedTimer(eventLoop: loop) }
        }
        let loop = EmbeddedEventLoop()
        var owner: Owner? = Owner(loop: loop)
        weak let gone = owner
        owner!.timer.arm(at: loop.now + .seconds(1))  // no closure given yet: nothing armed
        #expect(owner!.timer.deadline == nil)
        owner!.timer.arm(at: loop.now + .seconds(1)) { [owner] in owner!.expiries += 1 }
        loop.advanceTime(by: .seconds(1))
        #expect(owner!.expiries == 1)
        owner!.timer.arm(at: loop.now + .seconds(5))
        owner!.timer.disarm()
        owner!.timer.arm(at: loop.now + .seconds(2))
        loop.advanceTime(by: .seconds(2))
        #expect(owner!.expiries == 2)
        owner!.timer.cancel()
        owner!.timer.arm(at: loop.now + .seconds(1))
        loop.advanceTime(by: .seconds(5))
        #expect(owner!.expiries == 2)
        owner = nil
        #expect(gone == nil)
    }
}
