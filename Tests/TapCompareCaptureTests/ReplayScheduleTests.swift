import TapCompareCapture
import TapCompareJSON
import Testing

/// The replay schedule as a pure iterator: no clock, no service.
@Suite struct ReplayScheduleTests {
    static func all(_ schedule: ReplaySchedule, elapsed: Duration = .zero, limit: Int = 10_000) -> [ReplaySchedule.Entry] {
        var schedule = schedule
        var out: [ReplaySchedule.Entry] = []
        while out.count < limit, let entry = schedule.next(elapsed: elapsed) { out.append(entry) }
        return out
    }

    @Test func unpacedSendsEachRequestOnceWithNoDueTime() {
        let entries = Self.all(ReplaySchedule(offsets: [.zero, .seconds(5), .seconds(9)], pacing: .unpaced))
        #expect(entries.map(\.index) == [0, 1, 2])
        #expect(entries.allSatisfy { $0.due == nil && $0.cycle == 0 })
        #expect(ReplaySchedule(offsets: [.zero], pacing: .unpaced).targetRate == nil)
    }

    @Test func speedKeepsTheRecordedShapeScaled() {
        // Recorded: a burst of three, a second's pause, two more 200 ms apart.
        let recorded: [Duration] = [.zero, .milliseconds(10), .milliseconds(20), .milliseconds(1020), .milliseconds(1220)]
        let once = Self.all(ReplaySchedule(offsets: recorded, pacing: .speed(1)))
        #expect(once.map(\.due) == recorded)
        let tenTimes = Self.all(ReplaySchedule(offsets: recorded, pacing: .speed(10)))
        #expect(tenTimes.map(\.due) == [.zero, .milliseconds(1), .milliseconds(2), .milliseconds(102), .milliseconds(122)])
        let half = Self.all(ReplaySchedule(offsets: recorded, pacing: .speed(0.5)))
        #expect(half.last?.due == .milliseconds(2440))
    }

    @Test func outOfOrderTimestampsKeepTheCaptureOrder() {
        // Several capture files or several writers: a later line may carry an earlier time.
        let entries = Self.all(ReplaySchedule(offsets: [.zero, .seconds(2), .seconds(1), .seconds(3)], pacing: .speed(1)))
        #expect(entries.map(\.index) == [0, 1, 2, 3])
        #expect(entries.map(\.due) == [.zero, .seconds(2), .seconds(2), .seconds(3)])
    }

    @Test func rateSpacesRequestsEvenlyWhateverTheirRecordedTimes() {
        let entries = Self.all(ReplaySchedule(offsets: [.zero, .seconds(60), .seconds(61), .seconds(3600)], pacing: .rate(4)))
        #expect(entries.map(\.due) == [.zero, .milliseconds(250), .milliseconds(500), .milliseconds(750)])
        #expect(ReplaySchedule(offsets: [.zero], pacing: .rate(4)).targetRate == 4)
    }

    @Test func loopRepeatsTheCaptureKeepingItsShapeAndAGapBetweenPasses() {
        // Two passes over [0, 1 s, 2 s]: the second starts one mean gap (1 s) after the first's last request.
        let entries = Self.all(ReplaySchedule(offsets: [.zero, .seconds(1), .seconds(2)], pacing: .speed(1), loops: true), limit: 6)
        #expect(entries.map(\.index) == [0, 1, 2, 0, 1, 2])
        #expect(entries.map(\.cycle) == [0, 0, 0, 1, 1, 1])
        #expect(entries.map(\.due) == [.zero, .seconds(1), .seconds(2), .seconds(3), .seconds(4), .seconds(5)])
        // The rate of a loop at that speed: three requests every three seconds.
        #expect(ReplaySchedule(offsets: [.zero, .seconds(1), .seconds(2)], pacing: .speed(1), loops: true).targetRate == 1)
    }

    @Test func durationEndsAPacedLoopByDueTimeAndImpliesLooping() {
        // 10 requests/s for 1.05 s: due at 0, 0.1, …, 1.0: eleven requests over four passes of three.
        let entries = Self.all(ReplaySchedule(offsets: [.zero, .zero, .zero], pacing: .rate(10), duration: .milliseconds(1050)))
        #expect(entries.count == 11)
        #expect(entries.last?.due == .seconds(1))
        #expect(entries.last?.cycle == 3)
    }

    @Test func durationEndsAnUnpacedLoopByTheElapsedTimeItIsGiven() {
        var schedule = ReplaySchedule(offsets: [.zero, .seconds(1)], pacing: .unpaced, duration: .seconds(2))
        for n in 0..<7 { #expect(schedule.next(elapsed: .milliseconds(n * 100))?.index == n % 2) }
        #expect(schedule.next(elapsed: .seconds(2)) == nil)
    }

    @Test func anEmptyCaptureOrASingleInstantStillEnds() {
        #expect(Self.all(ReplaySchedule(offsets: [], pacing: .rate(10), loops: true)).isEmpty)
        // All requests at one instant, looped at speed 2 for 10 ms: passes 1 ms apart, halved.
        let entries = Self.all(ReplaySchedule(offsets: [.zero], pacing: .speed(2), duration: .milliseconds(10)))
        #expect(entries.count == 20)
    }
}

@Suite struct LatencyHistogramTests {
    @Test func percentilesOfKnownDataAreWithinOnePercent() {
        var h = LatencyHistogram()
        for v in 1...10_000 { h.record(microseconds: Int64(v)) }
        #expect(h.count == 10_000)
        #expect(h.max == 10_000)
        #expect(h.min == 1)
        for (p, exact) in [(50.0, 5000.0), (90, 9000), (99, 9900), (99.9, 9990)] {
            let v = Double(h.valueAtPercentile(p)!)
            #expect(v >= exact && v <= exact * 1.01, "p\(p): \(v), exact \(exact)")
        }
        #expect(h.valueAtPercentile(100) == 10_000)
    }

    @Test func smallValuesAreExactAndLargeOnesBounded() {
        var h = LatencyHistogram()
        for v in [0, 1, 2, 255] { h.record(microseconds: Int64(v)) }
        #expect(h.valueAtPercentile(25) == 0)
        #expect(h.valueAtPercentile(75) == 2)
        #expect(h.valueAtPercentile(100) == 255)
        var big = LatencyHistogram()
        big.record(microseconds: LatencyHistogram.highestTrackable * 4)
        big.record(microseconds: -5)
        #expect(big.valueAtPercentile(100) == LatencyHistogram.highestTrackable * 4, "the exact maximum is kept")
        #expect(big.valueAtPercentile(50) == 0)
        // Every value lands in a counter whose range contains it.
        for v: Int64 in [256, 257, 511, 512, 1000, 123_456, 99_999_999, LatencyHistogram.highestTrackable] {
            let index = LatencyHistogram.index(of: v)
            #expect(LatencyHistogram.highestValue(at: index) >= v)
            #expect(index == 0 || LatencyHistogram.highestValue(at: index - 1) < v)
        }
    }

    @Test func aStallDominatesTheTailAndMergingAddsCounts() {
        // 990 fast answers and 10 answers stuck behind a 1 s stall.
        var fast = LatencyHistogram()
        for _ in 0..<990 { fast.record(.milliseconds(2)) }
        var stalled = LatencyHistogram()
        for _ in 0..<10 { stalled.record(.seconds(1)) }
        var all = fast
        all.add(stalled)
        #expect(all.count == 1000)
        let p = try! #require(all.standardPercentiles)
        #expect(p.p50 >= 2 && p.p50 <= 2.02)
        #expect(p.p99 >= 2 && p.p99 <= 2.02, "p99 is the 990th value")
        #expect(p.p999 >= 1000 && p.p999 <= 1010)
        #expect(p.max == 1000)
    }
}

@Suite struct TimestampShifterTests {
    @Test func rfc3339KeepsItsOffsetAndPrecision() {
        #expect(TimestampShifter.shift("2026-11-20T14:00:01.383Z", by: 86_400 * 14) == "2026-12-04T14:00:01.383Z")
        #expect(TimestampShifter.shift("2026-11-20T14:00:01Z", by: 3600.4) == "2026-11-20T15:00:01Z")
        #expect(TimestampShifter.shift("2026-11-20T23:30:00.000000+02:00", by: 1800.5) == "2026-11-21T00:00:00.500000+02:00")
        #expect(TimestampShifter.shift("2026-12-31T23:59:59.999-05:00", by: 0.002) == "2027-01-01T00:00:00.001-05:00")
        #expect(TimestampShifter.shift("2026-11-20t14:00:01z", by: 1) == "2026-11-20t14:00:02z")
    }

    @Test func epochNumbersStaySecondsOrMilliseconds() {
        #expect(TimestampShifter.shift("1763647201", by: 100) == "1763647301")
        #expect(TimestampShifter.shift("1763647201383", by: 100) == "1763647301383")
        #expect(TimestampShifter.shift("1763647201.5", by: 1) == "1763647202.5")
    }

    @Test func httpDatesStayHTTPDates() {
        // RFC 9110's example, moved 14 days and 1 hour: the weekday is the new date's.
        #expect(TimestampShifter.shift("Sun, 06 Nov 1994 08:49:37 GMT", by: 86_400 * 14 + 3600) == "Sun, 20 Nov 1994 09:49:37 GMT")
        #expect(TimestampShifter.shift("Fri, 20 Nov 2026 23:59:59 GMT", by: 2) == "Sat, 21 Nov 2026 00:00:01 GMT")
    }

    @Test func valuesThatAreNotTimestampsAreLeftAlone() {
        for text in ["", "yesterday", "42", "2026-11-20", "2026-11-20T14:00:01", "2026-13-20T14:00:01Z", "abc123",
                     "Sun, 31 Feb 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 UTC"] {
            #expect(TimestampShifter.shift(text, by: 100) == nil, "\(text)")
        }
    }

    @Test func shiftTimeSyntaxNamesTheFlagAndTheFix() throws {
        #expect(try ReplayTimeShift(parsing: "body:$.filter.created_after") == .body(.init(parsing: "$.filter.created_after")))
        #expect(try ReplayTimeShift(parsing: "query:since") == .query("since"))
        #expect(try ReplayTimeShift(parsing: "header:X-Request-Time") == .header("X-Request-Time"))
        for (text, reason) in [
            ("since", "names no place"), ("path:$.a", "unknown place 'path'"), ("body:created_after", "must start with '$'"),
            ("body:$[?(@.a)]", "filter expressions are not supported"), ("header:X Time", "is not a header name"), ("query:", "is missing"),
        ] {
            #expect { try ReplayTimeShift(parsing: text) } throws: { error in
                "\(error)".hasPrefix("--shift-time '\(text)'") && "\(error)".contains(reason) && "\(error)".contains("e.g. --shift-time")
            }
        }
    }
}
