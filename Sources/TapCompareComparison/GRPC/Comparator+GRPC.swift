import NIOCore
import NIOHTTP1
import TapCompareCore
import TapCompareGRPC
import TapCompareJSON
import TapCompareRules

/// gRPC responses (`application/grpc`, `application/grpc+proto`): compared as the call's status and trailers plus
/// its messages as one JSON value `{"messages": [...]}`, so the same diff engine, `diff-rules/` (a rule's route is
/// the call path, `/package.Service/Method`), noise classification and ledger apply, and a message missing from a
/// stream is reported at `/messages/2`.
///
/// - `grpc-status` is a ``DiscrepancyKind/status`` discrepancy (field `grpc-status`); `grpc-message` and every
///   other trailer in ``Comparator/Configuration/GRPC/compareTrailers`` a ``DiscrepancyKind/header`` one (field
///   `trailer:NAME`). They are read from the trailers, or from the headers of a trailers-only response.
/// - Messages are decoded with the descriptor set's output type of the call's method when there is one, by field
///   number otherwise (``ProtoJSONDecoder``).
/// - When only one side is gRPC (the other answered e.g. an HTTP error page), its body is compared as other bodies
///   are, beside the trailers: a different kind of answer is a discrepancy, not an unreadable one.
/// - A compressed message (flag 1) is inflated by the side's `grpc-encoding` (`gzip`, `deflate`) within
///   `grpc.max_message_bytes`; any other encoding, a corrupt or oversized message, broken framing or bytes that are
///   not protobuf make the exchange not comparable (``SkipReason/grpcNotComparable`` with the side, the message and
///   what is wrong): counted and recorded, never a crash, never a guess.
extension Comparator {
    /// Whether legacy's response (or the candidate's, when legacy names no type) is gRPC with protobuf messages.
    static func isGRPC(_ legacy: ResponseSnapshot, _ candidate: ResponseSnapshot) -> Bool {
        let type = legacy.headers.first(name: "content-type") ?? candidate.headers.first(name: "content-type")
        return type.map(GRPCContentType.isProtobufGRPC) ?? false
    }

    static func isGRPCResponse(_ response: ResponseSnapshot) -> Bool {
        response.headers.first(name: "content-type").map(GRPCContentType.isProtobufGRPC) ?? false
    }

    func compareGRPC(
        legacy: ResponseSnapshot, candidate: ResponseSnapshot, method: Substring?, rules: RouteRules, applications: inout [Int: Int]
    ) -> Swift.Result<[Discrepancy], Skip> {
        var discrepancies: [Discrepancy] = []
        for name in self.configuration.grpc.compareTrailers {
            let a = Self.metadata(legacy, name)
            let b = Self.metadata(candidate, name)
            guard a != b else { continue }
            if name == "grpc-status" {
                discrepancies.append(Discrepancy(path: "", field: "grpc-status", kind: .status, legacyValue: a.map(Self.statusText), candidateValue: b.map(Self.statusText)))
            } else {
                discrepancies.append(Discrepancy(path: "", field: "trailer:\(name)", kind: .header, legacyValue: a.map(JSONValue.quoted), candidateValue: b.map(JSONValue.quoted)))
            }
        }
        // One side is not gRPC at all (an HTTP error page, JSON): a different kind of answer, reported (its
        // content-type, its missing grpc-status, its body as other bodies are), not skipped as unreadable.
        if !(Self.isGRPCResponse(legacy) && Self.isGRPCResponse(candidate)) {
            return self.compareBodies(legacy: legacy, candidate: candidate, rules: rules, applications: &applications).map { discrepancies + $0 }
        }
        let legacyEncoding = legacy.headers.first(name: "grpc-encoding")
        let candidateEncoding = candidate.headers.first(name: "grpc-encoding")
        // Identical bytes under the same encoding are the same messages: no framing, no decoding.
        if legacyEncoding == candidateEncoding && legacy.body == candidate.body { return .success(discrepancies) }

        let outputType = method.flatMap { self.configuration.grpc.descriptors?.method(path: Self.callPath($0))?.outputType }
        let decoder = ProtoJSONDecoder(descriptors: self.configuration.grpc.descriptors)
        var documents: [JSONValue] = []
        for (side, response, encoding) in [("legacy", legacy, legacyEncoding), ("candidate", candidate, candidateEncoding)] {
            switch self.grpcMessages(response.body, encoding: encoding, type: outputType, decoder: decoder) {
            case .success(let messages): documents.append(["messages": .array(messages.map(\.value))])
            case .failure(let problem):
                return .failure(Skip(reason: "\(SkipReason.grpcNotComparable.rawValue): \(side) \(problem)"))
            }
        }
        discrepancies += self.diff(documents[0], documents[1], rules: rules, reportingDuplicateKeys: false, applications: &applications)
        return .success(discrepancies)
    }

    /// One side's messages as JSON values with their length on the wire, or what stops them being read.
    func grpcMessages(_ body: ByteBuffer, encoding: String?, type: String?, decoder: ProtoJSONDecoder) -> Swift.Result<[GRPCDecodedMessage], GRPCMessageProblem> {
        let limit = self.configuration.grpc.maxMessageBytes
        let frames: [GRPCMessageFrame]
        do {
            frames = try GRPCFrameReader(maxMessageBytes: limit).messages(Array(body.readableBytesView)[...])
        } catch {
            return .failure(GRPCMessageProblem(text: "body: \(error)"))
        }
        var messages: [GRPCDecodedMessage] = []
        messages.reserveCapacity(frames.count)
        for (index, frame) in frames.enumerated() {
            var bytes = frame.bytes
            let wireBytes = bytes.count
            if frame.compressed {
                let coding = (encoding ?? "identity").trimmingASCIIWhitespace().lowercased()
                guard coding == "gzip" || coding == "deflate" else {
                    return .failure(GRPCMessageProblem(text: "message \(index): compressed with grpc-encoding '\(coding)', which is not decoded (gzip and deflate are)"))
                }
                let inflater = BodyDecoder(maxDecodedBytes: limit, maxRatio: self.configuration.decoding.maxRatio)
                switch inflater.decode(ByteBuffer(bytes: bytes), contentEncoding: [coding]) {
                case .decoded(let out): bytes = Array(out.readableBytesView)[...]
                case .undecodable(_, let reason), .tooLarge(let reason):
                    return .failure(GRPCMessageProblem(text: "message \(index): \(reason)"))
                }
            }
            do {
                messages.append(GRPCDecodedMessage(value: try decoder.decode(bytes, type: type), wireBytes: wireBytes))
            } catch {
                return .failure(GRPCMessageProblem(text: "message \(index): not a protobuf message (\(error))"))
            }
        }
        return .success(messages)
    }

    /// A message as JSON and its length on the wire (compressed when it was sent compressed).
    struct GRPCDecodedMessage {
        var value: JSONValue
        var wireBytes: Int
    }

    struct GRPCMessageProblem: Error, CustomStringConvertible {
        var text: String
        var description: String { self.text }
    }

    /// A trailer's value, or the header's in a trailers-only response (no trailers at all); repeated fields joined
    /// with `, ` as HTTP joins them.
    static func metadata(_ response: ResponseSnapshot, _ name: String) -> String? {
        if !response.trailers.isEmpty {
            let values = response.trailers.filter { $0.name.lowercased() == name }.map(\.value)
            return values.isEmpty ? nil : values.joined(separator: ", ")
        }
        let values = response.headers[name]
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }

    /// `grpc-status` as a JSON number when it is one (it should be: 0…16), as a JSON string otherwise.
    static func statusText(_ value: String) -> String {
        let trimmed = value.trimmingASCIIWhitespace()
        return !trimmed.isEmpty && trimmed.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) ? trimmed : JSONValue.quoted(value)
    }

    /// The request path without its query.
    static func callPath(_ path: Substring) -> Substring {
        path.firstIndex(of: "?").map { path[..<$0] } ?? path
    }
}
