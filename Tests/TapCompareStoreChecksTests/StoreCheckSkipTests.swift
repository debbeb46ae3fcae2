import Foundation
import Logging
import NIOCore
import NIOHTTP1
import TapCompareComparison
import TapCompareCore
import Testing
@testable import TapCompareStoreChecks

@Suite("store checks that cannot run are recorded with the reason")
struct StoreCheckSkipTests {
    static func service() throws -> StoreCheckService {
        try StoreCheckService(
            configuration: StoreChecksConfiguration(
                stores: ["db": StoreDefinition(name: "db", kind: .sqlite, legacy: "/nonexistent/legacy.sqlite", candidate: "/nonexistent/sister.sqlite")],
                checks: ["POST /c": [StoreCheck(store: "db", read: .query(try SelectStatement(validating: "SELECT * FROM c WHERE id = ?"), params: [try ValueSource(parsing: "$.id")]))]]
            ),
            logger: Logger(label: "test")
        )
    }

    static func exchange(candidate: CandidateResult, legacyStatus: HTTPResponseStatus = .created) -> Exchange {
        Exchange(
            requestID: "r", route: "POST /c", request: RequestSnapshot(method: .POST, uri: "/c", headers: [:], body: ByteBuffer(string: "{}")),
            legacy: ResponseSnapshot(status: legacyStatus, headers: [:], body: ByteBuffer(string: #"{"id":1}"#)), legacyLatency: .zero,
            candidate: candidate
        )
    }

    @Test("a candidate never called, one that failed or timed out, a refused write, an answer without the id: each is its own skip reason")
    func reasons() async throws {
        let service = try Self.service()
        let comparator = Comparator()
        func reason(_ exchange: Exchange) async -> String? {
            let records = await service.checkNow(exchange, comparator: comparator)
            #expect(records.count == 1 && records[0].outcome == .skipped && records[0].store == "db" && records[0].linkedComparisonID == exchange.id)
            return records.first?.reason
        }
        #expect(await reason(Self.exchange(candidate: .skipped(.notSampled))) == "candidate_not_called: not_sampled")
        let failed = ResponseSnapshot(status: .internalServerError, headers: [:])
        #expect(await reason(Self.exchange(candidate: .response(failed, latency: .zero))) == "write_failed: legacy 201, candidate 500")
        #expect(await reason(Self.exchange(candidate: .response(failed, latency: .zero), legacyStatus: .conflict)) == "write_failed: legacy 409, candidate 500")
        #expect(await reason(Self.exchange(candidate: .failed(reason: "connection_reset", latency: .zero))) == "candidate_write_failed: connection_reset")
        #expect(await reason(Self.exchange(candidate: .timedOut(after: .seconds(1)))) == "candidate_write_timed_out")
        let noID = ResponseSnapshot(status: .created, headers: [:], body: ByteBuffer(string: "{}"))
        #expect(await reason(Self.exchange(candidate: .response(noID, latency: .zero)))?.hasPrefix("store_check_no_value: $.id not found in the candidate write") == true)
    }

    @Test("a legacy store that cannot be read skips the check; a candidate store that cannot be read is a candidate error")
    func unreadableStores() async throws {
        let service = try Self.service()
        let answer = ResponseSnapshot(status: .created, headers: [:], body: ByteBuffer(string: #"{"id":1}"#))
        let records = await service.checkNow(Self.exchange(candidate: .response(answer, latency: .zero)), comparator: Comparator())
        #expect(records.first?.outcome == .skipped)
        #expect(records.first?.reason?.hasPrefix("legacy_store_error: connect_failed: SQLite file '/nonexistent/legacy.sqlite' does not exist") == true, "\(records.first?.reason ?? "")")
        #expect(!FileManager.default.fileExists(atPath: "/nonexistent/legacy.sqlite"), "a check never creates a store")
    }
}
