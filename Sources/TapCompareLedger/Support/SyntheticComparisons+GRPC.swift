import Foundation
import TapCompareCore

extension SyntheticComparisons {
    /// A mismatching gRPC call for the review's tests and `tapcompare-bench report-demo --grpc`: legacy answered
    /// `/tapcompare.demo.Comments/GetComment` with `0 OK` and comment 7 (one 41-byte message, its author's e-mail
    /// in `authorEmail`), the candidate with `5 NOT_FOUND`, `comment 7 not found` and no message.
    public static func grpcNotFound(runID: String? = nil, at date: Date = Date()) -> ComparisonRecord {
        var record = Self.make(index: 0, runID: runID, at: date)
        record.route = "POST /tapcompare.demo.Comments/GetComment"
        record.method = "POST"
        record.path = "/tapcompare.demo.Comments/GetComment"
        // The synthetic request is an HTTP read; a gRPC request's body is protobuf (its sample would be Base64).
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
        return record
    }
}
