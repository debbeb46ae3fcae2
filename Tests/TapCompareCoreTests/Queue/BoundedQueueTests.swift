import TapCompareCore
import TapCompareTestSupport
import Testing

/// The bounded queue with its lock and its waiting consumers.
@Suite("Bounded queue", .timeLimit(.minutes(TestTiming.minutes(1))))
struct BoundedQueueTests {
    @Test("a bounded FIFO that refuses when full or finished, and reuses the room taken")
    func boundedFIFOThatRefusesWhenFullOrFinished() {
        let queue = BoundedQueue<Int>(capacity: 10)
        for i in 0..<10 { #expect(queue.push(i) == .queued(depth: i + 1)) }
        #expect(queue.push(10) == .dropped(.full))
        #expect(queue.take(max: 4) == [0, 1, 2, 3])
        #expect(queue.take(max: 4) == [4, 5, 6, 7])
        #expect(queue.push(10) == .queued(depth: 3))
        #expect(queue.take(max: 100) == [8, 9, 10])
        #expect(queue.count == 0 && queue.oldestEnqueuedAt == nil)
        queue.finish()
        #expect(queue.isFinished)
        #expect(queue.push(11) == .dropped(.finished))
    }

    @Test("a waiting consumer is woken by a push")
    func waitingConsumerWoken() async throws {
        let queue = BoundedQueue<Int>(capacity: 10)
        let consumer = Task { await queue.next() }
        try await eventually("the consumer waits") { queue.waitingConsumers == 1 }
        #expect(queue.push(42) == .queued(depth: 1))
        #expect(await consumer.value == 42)
        #expect(queue.waitingConsumers == 0)
    }

    @Test("a batch is queued in order, each element queued or refused as alone, and wakes the waiting consumers")
    func batchPush() async throws {
        let queue = BoundedQueue<Int>(capacity: 4)
        let consumers = (0..<2).map { _ in Task { await queue.next() } }
        try await eventually("both consumers wait") { queue.waitingConsumers == 2 }
        let results = queue.push(contentsOf: [1, 2, 3, 4, 5, 6, 7])
        // Two went to the woken consumers only once they ran: the batch itself met a queue of four.
        #expect(results == [.queued(depth: 1), .queued(depth: 2), .queued(depth: 3), .queued(depth: 4), .dropped(.full), .dropped(.full), .dropped(.full)])
        var taken: [Int] = []
        for consumer in consumers { taken.append(await consumer.value!) }
        #expect(taken.sorted() == [1, 2] && queue.waitingConsumers == 0)
        #expect(queue.take(max: 10) == [3, 4])
        queue.finish()
        #expect(queue.push(contentsOf: [8]) == [.dropped(.finished)])
    }

    @Test("several consumers share the queue; each element goes to exactly one")
    func severalConsumers() async {
        let queue = BoundedQueue<Int>(capacity: 1000)
        let received = await withTaskGroup(of: [Int].self) { group in
            for _ in 0..<3 {
                group.addTask {
                    var mine: [Int] = []
                    while let element = await queue.next() { mine.append(element) }
                    return mine
                }
            }
            for i in 0..<500 { _ = queue.push(i) }
            queue.finish()
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(received.sorted() == Array(0..<500))
    }

    @Test("wait(forAtLeast:) returns when enough are queued")
    func waitReturnsWhenEnoughAreQueued() async {
        let queue = BoundedQueue<Int>(capacity: 100)
        async let waited: Void = queue.wait(forAtLeast: 3)
        for i in 0..<3 { _ = queue.push(i) }
        await waited
        #expect(queue.count == 3)
    }

    @Test("finish wakes waiting consumers; they drain what is queued, then get nil")
    func finishDrains() async {
        let queue = BoundedQueue<Int>(capacity: 10)
        async let batches: [[Int]] = {
            var all: [[Int]] = []
            while let batch = await queue.nextBatch(max: 2) { all.append(batch) }
            return all
        }()
        for i in 0..<5 { _ = queue.push(i) }
        queue.finish()
        #expect(await batches.flatMap { $0 } == [0, 1, 2, 3, 4])
        #expect(await queue.next() == nil)
    }

    @Test("a cancelled wait(forAtLeast:) returns and leaves the queue open")
    func cancelledWaitLeavesQueueOpen() async throws {
        let queue = BoundedQueue<Int>(capacity: 10)
        let waiter = Task { await queue.wait(forAtLeast: 5) }
        try await eventually("the consumer waits") { queue.waitingConsumers == 1 }
        waiter.cancel()
        await waiter.value
        #expect(!queue.isFinished)
        #expect(queue.push(1) == .queued(depth: 1))
    }

    @Test("a consumer cancelled while waiting finishes the queue, so later pushes are refused and counted")
    func cancelledConsumerFinishes() async throws {
        let queue = BoundedQueue<Int>(capacity: 10)
        let consumer = Task { await queue.next() }
        try await eventually("the consumer waits") { queue.waitingConsumers == 1 }
        consumer.cancel()
        #expect(await consumer.value == nil)
        #expect(queue.isFinished)
        #expect(queue.push(1) == .dropped(.finished))
    }
}
