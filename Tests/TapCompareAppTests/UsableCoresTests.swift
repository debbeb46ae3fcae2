import Foundation
import Testing
@testable import TapCompareApp

/// `serve` runs one event loop per core it may use, read from the process's CPU affinity.
@Suite("Usable cores") struct UsableCoresTests {
    @Test("Linux CPU lists count their CPUs; anything else is not a list")
    func cpuLists() {
        #expect(UsableCores.count(cpuList: "1") == 1)
        #expect(UsableCores.count(cpuList: "\t0-1") == 2)
        #expect(UsableCores.count(cpuList: "0-3,8,10-11") == 7)
        for bad in ["", "x", "3-1", "1-", "0-1-2"] { #expect(UsableCores.count(cpuList: Substring(bad)) == nil, "\(bad)") }
    }

    @Test("this process's affinity names between one core and every core of the machine")
    func affinity() throws {
        let count = try #require(UsableCores.affinityCount())
        #expect(count >= 1 && count <= ProcessInfo.processInfo.processorCount)
    }
}
