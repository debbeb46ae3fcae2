import Foundation
import TapCompareCore
import Testing
@testable import TapCompareLedger

/// gRPC calls in the ledger (schema version 8), run on both backends by ``SQLiteLedgerTests`` and
/// ``PostgresLedgerTests``.
enum GRPCLedgerScenarios {
    /// A mismatching call: legacy found the comment, the candidate answered `5 NOT_FOUND`.
    static func notFoundCall(index: Int, redacting encoder: LedgerRecordEncoder) -> LedgerComparison {
        var record = SyntheticComparisons.make(index: index)
        record.route = "POST /tapcompare.demo.Comments/GetComment"
        record.grpc = GRPCExchangeRecord(
            legacy: GRPCAnswerRecord(
                status: 0, message: nil,
                messages: [GRPCMessageRecord(json: #"{"id":"7","text":"tab\there \\ \"quoted\" ☃","authorEmail":"ada@example.com"}"#, wireBytes: 41)],
                omittedMessages: 0
            ),
            candidate: GRPCAnswerRecord(status: 5, message: "comment 7 not found", messages: [], omittedMessages: 0)
        )
        return encoder.encode(record)
    }

    /// gRPC rows written beside HTTP rows (one batch, so the gRPC columns are written for HTTP rows too) read back
    /// exactly: status, message, messages with their byte counts and omitted counts per side; a call whose candidate
    /// did not answer keeps no candidate side; HTTP rows have none. Rows written at version 7 read as HTTP after
    /// migration 8.
    static func roundTrip(_ backend: Backend) async throws {
        let url = try await backend.freshURL()
        let encoder = LedgerRecordEncoder(redactor: try Redactor(configuration: .init()), instance: "i-1", maxSampleBytes: 4096)
        try await Harness.withStore(url) { store in
            try await Harness.withReader(url) { reader in
                if let pg = store as? PostgresLedgerStore {
                    #expect(try await pg.migrate(upTo: 7) == Array(1...7))
                } else {
                    let sqlite = try #require(store as? SQLiteLedgerStore)
                    #expect(try await sqlite.migrate(upTo: 7) == Array(1...7))
                }
                let old = encoder.encode(SyntheticComparisons.make(index: 0))
                try await store.insert([old])
                #expect(try await store.migrate() == [8])
                #expect(try await reader.comparison(id: old.id)?.grpc == nil)

                let notFound = Self.notFoundCall(index: 1, redacting: encoder)
                var timedOut = SyntheticComparisons.make(index: 2)
                timedOut.outcome = .candidateTimeout
                timedOut.candidateStatus = nil
                timedOut.grpc = GRPCExchangeRecord(
                    legacy: GRPCAnswerRecord(status: 0, message: nil, messages: [GRPCMessageRecord(json: #"{"1":"a"}"#, wireBytes: 3)], omittedMessages: 14),
                    candidate: nil
                )
                let http = encoder.encode(SyntheticComparisons.make(index: 3))
                let batch = [notFound, encoder.encode(timedOut), http]
                try await store.insert(batch)

                let readNotFound = try #require(try await reader.comparison(id: notFound.id))
                #expect(readNotFound.grpc == notFound.grpc)
                #expect(readNotFound.grpc?.candidate?.status == 5)
                #expect(readNotFound.grpc?.candidate?.message == "comment 7 not found")
                #expect(readNotFound.grpc?.legacy.messages == #"[{"bytes":41,"message":{"id":"7","text":"tab\there \\ \"quoted\" ☃","authorEmail":"ada@example.com"}}]"#)
                #expect(readNotFound.grpc?.candidate?.messages == "[]")
                let readTimedOut = try #require(try await reader.comparison(id: batch[1].id))
                #expect(readTimedOut.grpc == batch[1].grpc)
                #expect(readTimedOut.grpc?.candidate == nil)
                #expect(readTimedOut.grpc?.legacy.omittedMessages == 14)
                #expect(readTimedOut.samplesTruncated, "messages left out by the caps count as a truncated sample")
                #expect(try await reader.comparison(id: http.id)?.grpc == nil)
                #expect(try await store.counts().comparisons == 4)
            }
        }
    }

    /// `redact.json_paths` keep a field out of the stored messages (and the protobuf bytes out of the samples), and
    /// `redact.headers: [grpc-message]` keeps the message out: what is in the database, read back, holds no secret.
    static func redactedMessagesStayOutOfStorage(_ backend: Backend) async throws {
        let url = try await backend.freshURL()
        let redactor = try Redactor(configuration: .init(headers: ["grpc-message"], jsonPaths: ["$.messages[*].authorEmail"]))
        let encoder = LedgerRecordEncoder(redactor: redactor, instance: "i-1", maxSampleBytes: 4096)
        let row = Self.notFoundCall(index: 4, redacting: encoder)
        try await Harness.withStore(url) { store in
            try await Harness.withReader(url) { reader in
                _ = try await store.migrate()
                try await store.insert([row])
                let stored = try #require(try await reader.comparison(id: row.id))
                let messages = try #require(stored.grpc?.legacy.messages)
                #expect(messages.contains(#""authorEmail":"[REDACTED]""#))
                #expect(!messages.contains("ada@example.com"))
                #expect(messages.contains(#""id":"7""#), "only the configured path is redacted")
                #expect(stored.grpc?.candidate?.message == Redactor.marker)
                #expect(stored.legacySample?.hasPrefix(WithheldSample.prefix) == true)
                #expect(stored.candidateSample?.hasPrefix(WithheldSample.prefix) == true)
            }
        }
    }
}
