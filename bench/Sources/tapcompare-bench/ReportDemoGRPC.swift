import Foundation
import TapCompareCore
import TapCompareLedger

/// `report-demo --grpc`: one gRPC call in a ledger of its own, for the gRPC checks of `scripts/ui-browser-test.sh`
/// (the main demo ledger's figures stay as ``DemoLedger`` documents them). Legacy answered
/// `/tapcompare.demo.Comments/GetComment` with `0 OK` and comment 7 (one 41-byte message), the candidate with
/// `5 NOT_FOUND` and no message; stored through the ledger's own encoder with
/// `redact.json_paths: [$.messages[*].authorEmail]`, so the author's e-mail is `[REDACTED]`.
enum DemoGRPCLedger {
    static let route = "POST /tapcompare.demo.Comments/GetComment"

    static func comparison(at date: Date) throws -> LedgerComparison {
        var record = SyntheticComparisons.make(index: 0, at: date)
        record.route = Self.route
        record.method = "POST"
        record.path = "/tapcompare.demo.Comments/GetComment"
        // The synthetic record's request is an HTTP read; a gRPC request's body is protobuf, shown as Base64.
        record.request = nil
        record.discrepancies = [
            Discrepancy(path: "", field: "grpc-status", kind: .status, legacyValue: "0", candidateValue: "5"),
            Discrepancy(path: "/messages/0", field: "$.messages[*]", kind: .missingInCandidate, legacyValue: #"{"id":"7"}"#, candidateValue: nil),
        ]
        record.grpc = GRPCExchangeRecord(
            legacy: GRPCAnswerRecord(
                status: 0, message: nil,
                messages: [GRPCMessageRecord(json: #"{"id":"7","body":"Looks good to me","authorEmail":"ada@example.com"}"#, wireBytes: 41)]
            ),
            candidate: GRPCAnswerRecord(status: 5, message: "comment 7 not found", messages: [])
        )
        let redactor = try Redactor(configuration: RedactionConfiguration(jsonPaths: ["$.messages[*].authorEmail"]))
        return LedgerRecordEncoder(redactor: redactor, instance: "proxy-1", maxSampleBytes: 64 << 10).encode(record)
    }
}
