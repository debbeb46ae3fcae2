import TapCompareCore
import Testing

/// Every transition of the bounded queue's state machine, with no tasks: waiters are plain strings.
@Suite("Bounded queue state")
struct BoundedQueueStateTests {
    typealias State = BoundedQueueState<Int, String>
    let t0 = ContinuousClock.now

    @Test("a full queue refuses with .full and keeps what it holds; room taken is reused")
    func fullRefuses() {
        var state = State(capacity: 3)
        for i in 0..<3 {
            let (result, _) = state.push(i, now: self.t0)
            #expect(result == .queued(depth: i + 1))
        }
        let (overfull, _) = state.push(3, now: self.t0)
        #expect(overfull == .dropped(.full))
        #expect(state.count == 3)
        let first = state.popFirst()
        #expect(first == 0)
        let (again, _) = state.push(3, now: self.t0)
        #expect(again == .queued(depth: 3))
        let rest = state.removeAll()
        #expect(rest == [1, 2, 3])
    }

    @Test("elements come out first in, first out, whether popped one at a time or taken in batches")
    func fifo() {
        var state = State(capacity: 100)
        for i in 0..<10 { _ = state.push(i, now: self.t0) }
        let first = state.popFirst()
        let batch = state.take(max: 4)
        let rest = state.take(max: 100)
        let none = state.popFirst()
        let empty = state.take(max: 4)
        #expect(first == 0)
        #expect(batch == [1, 2, 3, 4])
        #expect(rest == [5, 6, 7, 8, 9])
        #expect(none == nil)
        #expect(empty.isEmpty)
    }

    @Test("a capacity below 1 is taken as 1")
    func capacityAtLeastOne() {
        var state = State(capacity: 0)
        #expect(state.capacity == 1)
        let (one, _) = state.push(1, now: self.t0)
        let (two, _) = state.push(2, now: self.t0)
        #expect(one == .queued(depth: 1))
        #expect(two == .dropped(.full))
    }

    @Test("finish refuses later pushes with .finished, still hands out what is queued, and wakes every waiter")
    func finishDrains() {
        var state = State(capacity: 10)
        _ = state.push(1, now: self.t0)
        let waits = state.wait(id: 0, forAtLeast: 5, waiter: "writer")
        #expect(waits)
        let woken = state.finish()
        #expect(woken == ["writer"])
        #expect(state.isFinished)
        let (late, _) = state.push(2, now: self.t0)
        #expect(late == .dropped(.finished))
        let queued = state.popFirst()
        let none = state.popFirst()
        #expect(queued == 1)
        #expect(none == nil)
        let wokenAgain = state.finish()
        #expect(wokenAgain.isEmpty)
        // Nothing to wait for once finished.
        let waitsWhenFinished = state.wait(id: 1, forAtLeast: 1, waiter: "late")
        #expect(!waitsWhenFinished)
    }

    @Test("a push that reaches a waiter's threshold hands that waiter back, oldest waiter first")
    func pushWakesWaiter() {
        var state = State(capacity: 10)
        _ = state.wait(id: 0, forAtLeast: 1, waiter: "worker-a")
        _ = state.wait(id: 1, forAtLeast: 1, waiter: "worker-b")
        #expect(state.waiterCount == 2)
        let wakes = (0..<3).map { i in state.push(i, now: self.t0).wake }
        #expect(wakes == ["worker-a", "worker-b", nil])
        #expect(state.waiterCount == 0)

        var batch = State(capacity: 10)
        _ = batch.wait(id: 7, forAtLeast: 3, waiter: "writer")
        let batchWakes = (0..<3).map { i in batch.push(i, now: self.t0).wake }
        #expect(batchWakes == [nil, nil, "writer"])
    }

    @Test("no wait when enough is queued already; a cancelled wait is handed back once")
    func waitAndCancel() {
        var state = State(capacity: 10)
        _ = state.push(1, now: self.t0)
        let waitsForOne = state.wait(id: 0, forAtLeast: 1, waiter: "now")
        let waitsForTwo = state.wait(id: 1, forAtLeast: 2, waiter: "later")
        #expect(!waitsForOne)
        #expect(waitsForTwo)
        let cancelled = state.cancelWait(id: 1)
        let cancelledAgain = state.cancelWait(id: 1)
        #expect(cancelled == "later")
        #expect(cancelledAgain == nil)
        let (_, wake) = state.push(2, now: self.t0)
        #expect(wake == nil)
    }

    @Test("the oldest arrival is kept while anything is queued and cleared when empty")
    func oldestArrival() {
        var state = State(capacity: 10)
        #expect(state.oldestEnqueuedAt == nil)
        _ = state.push(1, now: self.t0)
        _ = state.push(2, now: self.t0.advanced(by: .seconds(1)))
        #expect(state.oldestEnqueuedAt == self.t0)
        _ = state.take(max: 1)
        #expect(state.oldestEnqueuedAt == self.t0)
        _ = state.popFirst()
        #expect(state.oldestEnqueuedAt == nil)
        _ = state.push(3, now: self.t0.advanced(by: .seconds(2)))
        #expect(state.oldestEnqueuedAt == self.t0.advanced(by: .seconds(2)))
    }
}
