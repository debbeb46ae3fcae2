import TapCompareCore
import TapCompareJSON
import TapCompareLedger

/// A gRPC call's sides in a comparison's detail (`grpc` in `/api/v1/comparisons/{id}`; absent for HTTP).
public struct GRPCDetail: Sendable, Codable, Hashable {
    public var legacy: GRPCSideDetail
    /// Absent when the candidate did not answer.
    public var candidate: GRPCSideDetail?
}

/// One side: `grpc-status` with its name, `grpc-message`, and the messages kept.
public struct GRPCSideDetail: Sendable, Codable, Hashable {
    public var status: Int?
    /// `NOT_FOUND` for 5 (``GRPCStatusName``); absent for a code gRPC does not define.
    public var statusName: String?
    public var message: String?
    /// The messages kept (mismatches and errors only), in stream order; absent when none were kept.
    public var messages: [GRPCMessageDetail]?
    /// Messages left out by `grpc.max_recorded_messages` / `grpc.max_recorded_bytes`.
    public var omittedMessages: Int
}

/// One decoded message: JSON text (as discrepancy values are) and its length on the wire.
public struct GRPCMessageDetail: Sendable, Codable, Hashable {
    public var bytes: Int
    public var json: String
}

extension GRPCDetail {
    init(_ stored: LedgerGRPC) {
        self.init(legacy: GRPCSideDetail(stored.legacy), candidate: stored.candidate.map(GRPCSideDetail.init))
    }
}

extension GRPCSideDetail {
    init(_ stored: LedgerGRPCAnswer) {
        self.init(
            status: stored.status, statusName: stored.status.flatMap(GRPCStatusName.name(of:)), message: stored.message,
            messages: stored.messages.map(Self.messages), omittedMessages: stored.omittedMessages
        )
    }

    /// The stored `[{"bytes": N, "message": {…}}]` as details; each message written back as it was stored (member
    /// order and number text kept by TapCompareJSON). Text that is not that shape yields no messages.
    static func messages(_ text: String) -> [GRPCMessageDetail] {
        guard case .array(let elements)? = try? JSONParser.parse(text) else { return [] }
        return elements.compactMap { element in
            guard case .object(let object) = element,
                  case .number(let bytes)? = object.members.first(where: { $0.key == "bytes" })?.value,
                  let count = Int(bytes.text),
                  let message = object.members.first(where: { $0.key == "message" })?.value
            else { return nil }
            return GRPCMessageDetail(bytes: count, json: message.serialized())
        }
    }

    /// `gRPC 5 NOT_FOUND · HTTP 200`: how the report and the UI head a side.
    static func heading(grpcStatus: Int?, httpStatus: Int?) -> String {
        "gRPC \(grpcStatus.map(GRPCStatusName.label) ?? "no status") · HTTP \(httpStatus.map(String.init) ?? "no answer")"
    }
}
