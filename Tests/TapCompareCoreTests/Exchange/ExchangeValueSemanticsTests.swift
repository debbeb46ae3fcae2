import Foundation
import NIOCore
import NIOHTTP1
import Testing
@testable import TapCompareCore

/// ``Exchange`` and ``ComparisonRecord`` keep their fields in a shared box: copies must still behave as values.
@Suite("Exchange and record value semantics") struct ExchangeValueSemanticsTests {
    static func exchange() -> Exchange {
        Exchange(
            requestID: "r-1", route: "GET /comments",
            request: RequestSnapshot(method: .GET, uri: "/comments?page=2", version: .http1_1, headers: ["Accept": "*/*"]),
            legacy: ResponseSnapshot(status: .ok, version: .http1_1, headers: ["Content-Type": "application/json"], body: ByteBuffer(string: "{}")),
            legacyLatency: .milliseconds(3),
            candidate: .skipped(.notSampled)
        )
    }

    @Test("changing a copy of an exchange leaves the original as it was")
    func exchangeCopiesAreValues() {
        let original = Self.exchange()
        var copy = original
        copy.route = "GET /other"
        copy.legacy.headers.add(name: "X-Added", value: "1")
        copy.runID = "run-7"
        #expect(original.route == "GET /comments")
        #expect(original.legacy.headers["X-Added"].isEmpty)
        #expect(original.runID == nil)
        #expect(copy.route == "GET /other")
        #expect(copy.legacy.headers["X-Added"] == ["1"])
        #expect(copy.runID == "run-7")
    }

    @Test("changing a copy of a record leaves the original as it was; a record's own changes stay")
    func recordCopiesAreValues() {
        var original = ComparisonRecord(exchange: Self.exchange(), outcome: .match)
        original.legacyContentEncoding = ["gzip"]
        var copy = original
        copy.outcome = .mismatch
        copy.discrepancies.append(Discrepancy(path: "/a", field: "$.a", kind: .valueChanged, legacyValue: "1", candidateValue: "2"))
        copy.legacyContentEncoding.append("br")
        #expect(original.outcome == .match)
        #expect(original.discrepancies.isEmpty)
        #expect(original.legacyContentEncoding == ["gzip"])
        #expect(copy.outcome == .mismatch)
        #expect(copy.discrepancyCount == 1)
        #expect(copy.legacyContentEncoding == ["gzip", "br"])
    }
}
