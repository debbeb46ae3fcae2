/// Whether a response is gRPC with protobuf messages: `application/grpc` or `application/grpc+proto`, parameters
/// allowed (`application/grpc+json` and other codecs are not protobuf and are compared as other bodies are).
public enum GRPCContentType {
    public static func isProtobufGRPC(_ contentType: some StringProtocol) -> Bool {
        let text = String(contentType)
        var essence = Substring(text.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        while let f = essence.first, f == " " || f == "\t" { essence = essence.dropFirst() }
        while let l = essence.last, l == " " || l == "\t" { essence = essence.dropLast() }
        let lowered = essence.lowercased()
        return lowered == "application/grpc" || lowered == "application/grpc+proto"
    }
}
