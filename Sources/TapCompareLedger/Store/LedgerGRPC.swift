/// The gRPC columns of a `comparisons` row (schema version 8): each side's status, message and decoded messages.
/// `nil` on ``LedgerComparison/grpc`` for HTTP comparisons (`protocol` `http`).
///
/// Optional in the spool's JSON, so frames written before the columns existed replay.
public struct LedgerGRPC: Sendable, Hashable, Codable {
    public var legacy: LedgerGRPCAnswer
    /// `nil` when the candidate did not answer (its columns are NULL).
    public var candidate: LedgerGRPCAnswer?

    public init(legacy: LedgerGRPCAnswer, candidate: LedgerGRPCAnswer?) {
        self.legacy = legacy
        self.candidate = candidate
    }

    /// The `comparisons` columns in the order ``PostgresLedgerCopy`` and the SQLite store write them.
    static let columns = [
        "protocol", "legacy_grpc_status", "candidate_grpc_status", "legacy_grpc_message", "candidate_grpc_message",
        "legacy_grpc_messages", "candidate_grpc_messages", "legacy_grpc_messages_omitted", "candidate_grpc_messages_omitted",
    ]
}

/// One side of a gRPC call as stored.
public struct LedgerGRPCAnswer: Sendable, Hashable, Codable {
    /// `grpc-status` (`5` is `NOT_FOUND`); `nil` when the side sent none.
    public var status: Int?
    /// `grpc-message`, percent-decoded; ``Redactor/marker`` when `redact.headers` names `grpc-message`.
    public var message: String?
    /// JSON text: an array of `{"bytes": N, "message": {…}}`, N the message's length on the wire, the message
    /// redacted by `redact.json_paths` as `$.messages[*]…`; `nil` when no messages were kept (a match, a skip).
    public var messages: String?
    /// Messages left out by `grpc.max_recorded_messages` / `grpc.max_recorded_bytes`.
    public var omittedMessages: Int

    public init(status: Int?, message: String?, messages: String?, omittedMessages: Int) {
        self.status = status
        self.message = message
        self.messages = messages
        self.omittedMessages = omittedMessages
    }
}
