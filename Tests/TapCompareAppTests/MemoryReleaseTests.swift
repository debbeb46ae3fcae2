import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import TapCompareTestSupport
import Testing
@testable import TapCompareApp

@Suite struct MemoryReleaseTests {
    /// The service releases once per interval, off any request, and stops at graceful shutdown.
    @Test func releasesOnItsIntervalUntilShutdown() async throws {
        let calls = NIOLockedValueBox(0)
        let service = MemoryReleaseService(interval: .milliseconds(20), logger: Logger(label: "test")) {
            calls.withLockedValue { $0 += 1 }
            return true
        }
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        _ = await pollUntil { calls.withLockedValue { $0 } >= 3 }
        await group.triggerGracefulShutdown()
        try await running.value
        let atShutdown = calls.withLockedValue { $0 }
        #expect(atShutdown >= 3)
        try await Task.sleep(for: .milliseconds(100))
        #expect(calls.withLockedValue { $0 } == atShutdown, "no release after shutdown")
    }

    /// Where the C library cannot release (not glibc) the service says so once and stops asking.
    @Test func aLibraryWithoutTrimStopsTheServiceAfterOneTry() async throws {
        let calls = NIOLockedValueBox(0)
        let service = MemoryReleaseService(interval: .milliseconds(5), logger: Logger(label: "test")) {
            calls.withLockedValue { $0 += 1 }
            return nil
        }
        try await service.run()
        #expect(calls.withLockedValue { $0 } == 1)
    }

    #if os(Linux)
    /// Memory freed in the middle of the heap stays resident until released: the case the service exists for.
    /// 64 MiB in 64 KiB blocks (below glibc's mmap threshold, so inside an arena), every other one freed, leaves
    /// 32 MiB free that malloc cannot give back by itself (the blocks still in use pin the arena's top); one
    /// release returns most of it to the kernel.
    @Test func releasingReturnsFreedMemoryStrandedInTheHeap() throws {
        let blockSize = 64 << 10
        let blocks = (0..<1024).map { _ -> UnsafeMutableRawPointer in
            let block = UnsafeMutableRawPointer.allocate(byteCount: blockSize, alignment: 16)
            block.initializeMemory(as: UInt8.self, repeating: 0xA5, count: blockSize)
            return block
        }
        defer { for (i, block) in blocks.enumerated() where i % 2 == 1 { block.deallocate() } }
        for (i, block) in blocks.enumerated() where i % 2 == 0 { block.deallocate() }
        let before = try #require(ProcessMemory.residentAnonymousBytes())
        let heapBefore = try #require(ProcessMemory.heap())
        #expect(heapBefore.freeHeld >= 30 << 20, "the freed half is held by malloc")
        #expect(ProcessMemory.releaseFreeMemory() == true)
        let after = try #require(ProcessMemory.residentAnonymousBytes())
        // At least a quarter of the 32 MiB freed: tests running alongside may allocate meanwhile.
        #expect(before - after >= 8 << 20, "RssAnon \(before >> 20) MiB before, \(after >> 20) MiB after")
    }

    @Test func statusFieldsAreReadInBytes() {
        let status = "Name:\ttapcompare\nVmRSS:\t  80128 kB\nRssAnon:\t   43112 kB\nRssFile:\t   37016 kB\n"
        #expect(ProcessMemory.statusField("RssAnon", in: status) == 43112 * 1024)
        #expect(ProcessMemory.statusField("VmRSS", in: status) == 80128 * 1024)
        #expect(ProcessMemory.statusField("VmSwap", in: status) == nil)
    }
    #endif
}
