import Foundation
import TapCompareLedger

/// `report-demo --grpc`: one gRPC call in a ledger of its own, for the gRPC checks of `scripts/ui-browser-test.sh`
/// (the main demo ledger's figures stay as ``DemoLedger`` documents them): ``SyntheticComparisons/grpcNotFound(runID:at:)``
/// (`0 OK` against `5 NOT_FOUND`), stored through the ledger's own encoder with
/// `redact.json_paths: [$.messages[*].authorEmail]`, so the author's e-mail is `[REDACTED]`.
enum DemoGRPCLedger {
    static func comparison(at date: Date) throws -> LedgerComparison {
        let redactor = try Redactor(configuration: RedactionConfiguration(jsonPaths: ["$.messages[*].authorEmail"]))
        return LedgerRecordEncoder(redactor: redactor, instance: "proxy-1", maxSampleBytes: 64 << 10).encode(SyntheticComparisons.grpcNotFound(at: date))
    }
}
