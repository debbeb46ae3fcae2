/// Whether a response is gRPC with protobuf messages: `application/grpc` or `application/grpc+proto`, parameters
/// allowed (`application/grpc+json` and other codecs are not protobuf and are compared as other bodies are).
public enum GRPCContentType {
    public static func isProtobufGRPC(_ contentType: some StringProtocol) -> Bool {
        let text = String(contentType)
        // Asked of every compared response, most of them JSON: a look at the first bytes settles those.
        guard Self.startsWithGRPC(text.utf8) else { return false }
        var essence = Substring(text.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        while let f = essence.first, f == " " || f == "\t" { essence = essence.dropFirst() }
        while let l = essence.last, l == " " || l == "\t" { essence = essence.dropLast() }
        let lowered = essence.lowercased()
        return lowered == "application/grpc" || lowered == "application/grpc+proto"
    }

    /// Whether `utf8`, after leading whitespace, starts with `application/grpc` in any case.
    static func startsWithGRPC(_ utf8: String.UTF8View) -> Bool {
        var i = utf8.startIndex
        while i < utf8.endIndex, utf8[i] == UInt8(ascii: " ") || utf8[i] == UInt8(ascii: "\t") { i = utf8.index(after: i) }
        for expected in "application/grpc".utf8 {
            guard i < utf8.endIndex, utf8[i] | 0x20 == expected | 0x20 else { return false }
            i = utf8.index(after: i)
        }
        return true
    }

    /// Whether a request or response is a gRPC call in any codec: `application/grpc`, `application/grpc+proto`,
    /// `application/grpc+json`…, parameters allowed. Case-insensitive, as media types are.
    public static func isGRPC(_ contentType: some StringProtocol) -> Bool {
        let prefix = "application/grpc".utf8
        let utf8 = contentType.utf8
        guard utf8.count >= prefix.count,
            zip(utf8.prefix(prefix.count), prefix).allSatisfy({ $0 | 0x20 == $1 | 0x20 })
        else { return false }
        guard let next = utf8.dropFirst(prefix.count).first else { return true }
        return next == UInt8(ascii: "+") || next == UInt8(ascii: ";") || next == UInt8(ascii: " ")
    }
}
