/// What a comparison of a gRPC call keeps of each side's answer, for the ledger, the report and the UI: the call's
/// status and message and, when the ledger keeps samples, the decoded messages with their size on the wire.
///
/// Built by the comparator (which holds the descriptor set and the decoders); the ledger redacts it before storing.
public struct GRPCExchangeRecord: Sendable, Hashable {
    /// Legacy's answer.
    public var legacy: GRPCAnswerRecord
    /// The candidate's answer; `nil` when it did not answer (an error, a timeout, a skip).
    public var candidate: GRPCAnswerRecord?

    public init(legacy: GRPCAnswerRecord, candidate: GRPCAnswerRecord?) {
        self.legacy = legacy
        self.candidate = candidate
    }
}

/// One side's gRPC answer.
public struct GRPCAnswerRecord: Sendable, Hashable {
    /// `grpc-status` as a number (0 `OK` … 16 `UNAUTHENTICATED`); `nil` when the answer has none or it is not a
    /// number.
    public var status: Int?
    /// `grpc-message`, percent-decoded as gRPC encodes it; `nil` when the answer has none.
    public var message: String?
    /// The first messages of the answer in order, as JSON; `nil` when they were not decoded (a matching or skipped
    /// call, or messages that could not be read).
    public var messages: [GRPCMessageRecord]?
    /// Messages of the answer left out of ``messages`` by the caps (count or bytes).
    public var omittedMessages: Int

    public init(status: Int?, message: String?, messages: [GRPCMessageRecord]? = nil, omittedMessages: Int = 0) {
        self.status = status
        self.message = message
        self.messages = messages
        self.omittedMessages = omittedMessages
    }
}

/// One decoded message.
public struct GRPCMessageRecord: Sendable, Hashable {
    /// The message as JSON text: proto3 JSON with a descriptor set, field numbers without one.
    public var json: String
    /// Its length on the wire (the length prefix: compressed bytes when the message was compressed).
    public var wireBytes: Int

    public init(json: String, wireBytes: Int) {
        self.json = json
        self.wireBytes = wireBytes
    }
}
