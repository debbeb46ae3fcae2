import Foundation
import NIOCore
import NIOHTTP1
import TapCompareCore
import TapCompareGRPC
import TapCompareJSON

/// What the record of a gRPC call keeps of each side (``GRPCExchangeRecord``): status and message always, the
/// decoded messages only for the outcomes whose samples the ledger keeps (mismatch, candidate error, timeout), so a
/// matching call costs no second decoding. The messages are decoded as the comparison decodes them (descriptor set
/// or field numbers) and capped by `grpc.max_recorded_messages` and `grpc.max_recorded_bytes`; what the caps leave
/// out is counted in ``GRPCAnswerRecord/omittedMessages``.
extension Comparator {
    /// The gRPC part of an exchange's record, or `nil` when neither side answered as gRPC.
    func grpcRecord(_ exchange: Exchange, outcome: Outcome) -> GRPCExchangeRecord? {
        var candidate: ResponseSnapshot?
        if case .response(let response, _) = exchange.candidate { candidate = response }
        guard Self.isGRPC(exchange.legacy, candidate ?? exchange.legacy) else { return nil }
        let withMessages = outcome == .mismatch || outcome == .candidateError || outcome == .candidateTimeout
        let path = Self.callPath(exchange.request.path)
        let type = withMessages ? self.configuration.grpc.descriptors?.method(path: path)?.outputType : nil
        let decoder = ProtoJSONDecoder(descriptors: self.configuration.grpc.descriptors)
        return GRPCExchangeRecord(
            legacy: self.grpcAnswer(exchange.legacy, type: type, decoder: decoder, withMessages: withMessages),
            candidate: candidate.map { self.grpcAnswer($0, type: type, decoder: decoder, withMessages: withMessages) }
        )
    }

    /// One side: its status and message, and its first messages within the caps when `withMessages`. Messages that
    /// cannot be read are left out (`nil`): the comparison already recorded why when it needed them.
    func grpcAnswer(_ response: ResponseSnapshot, type: String?, decoder: ProtoJSONDecoder, withMessages: Bool) -> GRPCAnswerRecord {
        let status = Self.metadata(response, "grpc-status").flatMap { Int($0.trimmingASCIIWhitespace()) }
        // gRPC percent-encodes `grpc-message`; a value that is not valid percent-encoding is kept as sent.
        let message = Self.metadata(response, "grpc-message").map { $0.removingPercentEncoding ?? $0 }
        var answer = GRPCAnswerRecord(status: status, message: message)
        guard withMessages, Self.isGRPCResponse(response),
              case .success(let decoded) = self.grpcMessages(response.body, encoding: response.headers.first(name: "grpc-encoding"), type: type, decoder: decoder)
        else { return answer }
        var kept: [GRPCMessageRecord] = []
        var bytes = 0
        for decodedMessage in decoded {
            let json = decodedMessage.value.serialized()
            guard kept.count < self.configuration.grpc.maxRecordedMessages,
                  bytes + json.utf8.count <= self.configuration.grpc.maxRecordedBytes
            else { break }
            bytes += json.utf8.count
            kept.append(GRPCMessageRecord(json: json, wireBytes: decodedMessage.wireBytes))
        }
        answer.messages = kept
        answer.omittedMessages = decoded.count - kept.count
        return answer
    }
}
