import Foundation
import NIOCore
import TapCompareCore

/// Turns a ``TapCompareCore/ComparisonRecord`` into the row the ledger stores: redacted, samples capped and kept
/// only where a reviewer needs them, values made safe for `jsonb`, time rounded to the millisecond.
///
/// Runs on the batch writer's task, never on the caller of `record(_:)`.
public struct LedgerRecordEncoder: Sendable {
    public let redactor: Redactor
    public let instance: String
    /// `ledger.max_sample_bytes`.
    public let maxSampleBytes: Int
    /// Where withheld samples are counted (``LedgerMetrics/samplesWithheld(_:)``). Default none.
    public let metrics: LedgerMetrics?

    public init(redactor: Redactor, instance: String, maxSampleBytes: Int, metrics: LedgerMetrics? = nil) {
        self.redactor = redactor
        self.instance = instance
        self.maxSampleBytes = maxSampleBytes
        self.metrics = metrics
    }

    /// Outcomes whose samples are kept: the ones a reviewer opens.
    static func keepsSamples(_ outcome: Outcome) -> Bool {
        switch outcome {
        case .mismatch, .candidateError, .candidateTimeout: return true
        case .match, .skipped: return false
        }
    }

    public func encode(_ record: ComparisonRecord) -> LedgerComparison {
        var discrepancies: [LedgerDiscrepancy] = []
        discrepancies.reserveCapacity(record.discrepancies.count)
        var regressions = 0
        for d in record.discrepancies {
            if d.classification == .regression { regressions += 1 }
            let stored = LedgerDiscrepancy(
                path: d.path, field: d.field, kind: d.kind.rawValue,
                legacyValue: d.legacyValue.map(Self.storableJSON), candidateValue: d.candidateValue.map(Self.storableJSON),
                classification: d.classification.rawValue
            )
            discrepancies.append(self.redactor.redact(stored))
        }
        var requestSample: String?
        var legacySample: String?
        var candidateSample: String?
        var truncated = false
        if Self.keepsSamples(record.outcome) {
            if let request = record.request {
                let (text, cut, withheld) = self.redactor.requestSample(request)
                if let withheld { self.metrics?.sampleWithheld(withheld.reason) }
                let (capped, capCut) = text.capped(toUTF8Bytes: self.maxSampleBytes)
                requestSample = capped
                truncated = truncated || cut || capCut
            }
            if record.grpc != nil && self.redactor.redactsJSONPaths {
                // Protobuf bytes hide every field from `redact.json_paths` (and stored as Base64 would keep them):
                // the messages are stored decoded and redacted in the gRPC columns instead (see ``storableGRPC``).
                legacySample = record.legacyBody.map { _ in self.withheldProtobuf() }
                candidateSample = record.candidateBody.map { _ in self.withheldProtobuf() }
            } else {
                if let body = record.legacyBody {
                    let (capped, cut) = self.bodyText(body, contentEncoding: record.legacyContentEncoding).capped(toUTF8Bytes: self.maxSampleBytes)
                    legacySample = capped
                    truncated = truncated || cut
                }
                if let body = record.candidateBody {
                    let (capped, cut) = self.bodyText(body, contentEncoding: record.candidateContentEncoding).capped(toUTF8Bytes: self.maxSampleBytes)
                    candidateSample = capped
                    truncated = truncated || cut
                }
            }
        }
        let grpc = record.grpc.map(self.storableGRPC)
        if let grpc, grpc.legacy.omittedMessages > 0 || (grpc.candidate?.omittedMessages ?? 0) > 0 { truncated = true }
        return LedgerComparison(
            id: record.id,
            recordedAt: record.recordedAt.wholeMilliseconds,
            instance: self.instance,
            requestID: self.redactor.redactRequestID(record.requestID),
            method: record.method,
            route: record.route,
            path: self.redactor.redactQuery(in: record.path),
            legacyStatus: record.legacyStatus,
            candidateStatus: record.candidateStatus,
            legacyMilliseconds: record.legacyLatency?.milliseconds,
            candidateMilliseconds: record.candidateLatency?.milliseconds,
            outcome: record.outcome.rawValue,
            reason: record.reason,
            discrepancyCount: record.discrepancies.count,
            regressionCount: regressions,
            requestSample: requestSample,
            legacySample: legacySample,
            candidateSample: candidateSample,
            samplesTruncated: truncated,
            runID: record.runID,
            linkedComparisonID: record.linkedComparisonID,
            store: record.store,
            candidateVersion: record.candidateVersion.flatMap(self.storableVersion),
            grpc: grpc,
            discrepancies: discrepancies
        )
    }

    /// The candidate's version as stored: bounded again (a record may come from elsewhere than the comparator),
    /// and ``Redactor/marker`` when its header is one whose values are redacted (`redact.headers` and the
    /// always-redacted ones): secrets stay out of storage whatever the header is called.
    func storableVersion(_ version: CandidateVersion) -> String? {
        if self.redactor.isSensitiveHeader(version.header) { return Redactor.marker }
        return CandidateVersion.bounded(version.value)
    }

    /// A gRPC call's sides as stored: `grpc-message` redacted when `redact.headers` names it, each message
    /// redacted by `redact.json_paths` (``Redactor/redactGRPCMessage(_:index:)``) and written as
    /// `{"bytes": N, "message": …}`.
    func storableGRPC(_ record: GRPCExchangeRecord) -> LedgerGRPC {
        LedgerGRPC(legacy: self.storableAnswer(record.legacy), candidate: record.candidate.map(self.storableAnswer))
    }

    func storableAnswer(_ answer: GRPCAnswerRecord) -> LedgerGRPCAnswer {
        let messages = answer.messages.map { messages in
            "[" + messages.enumerated().map { index, m in
                "{\"bytes\":\(m.wireBytes),\"message\":\(self.redactor.redactGRPCMessage(Self.storableJSON(m.json), index: index))}"
            }.joined(separator: ",") + "]"
        }
        let message = answer.message.map { self.redactor.isSensitiveHeader("grpc-message") ? Redactor.marker : $0 }
        return LedgerGRPCAnswer(status: answer.status, message: message, messages: messages, omittedMessages: answer.omittedMessages)
    }

    /// The note stored in place of a gRPC body's raw bytes when `redact.json_paths` are configured (counted).
    func withheldProtobuf() -> String {
        let withheld = WithheldSample(reason: .protobuf, detail: "gRPC messages are stored decoded and redacted in the *_grpc_messages columns")
        self.metrics?.sampleWithheld(withheld.reason)
        return withheld.text
    }

    /// A response body's sample: redacted, or the note saying why it was withheld (counted).
    func bodyText(_ body: ByteBuffer, contentEncoding: [String]) -> String {
        switch self.redactor.bodySample(body, contentEncoding: contentEncoding) {
        case .stored(let text):
            return text
        case .withheld(let withheld):
            self.metrics?.sampleWithheld(withheld.reason)
            return withheld.text
        }
    }

    /// The value itself when it is JSON `jsonb` accepts, otherwise the text as a JSON string.
    static func storableJSON(_ text: String) -> String {
        JSONTextValidator.isValid(text) ? text : text.jsonQuoted
    }
}
