/// The comment API of `fixtures/grpc/comments.proto` as the in-process gRPC servers of the capture and replay tests
/// answer it (through ``HTTP2TestServer``): legacy's answers, or a candidate's with planted bugs.
public enum GRPCCommentService {
    public static let get = "/tapcompare.demo.Comments/GetComment"
    public static let list = "/tapcompare.demo.Comments/ListComments"
    /// What a client sends with each call (an `authorization` a capture must redact).
    public static let requestHeaders = [("content-type", "application/grpc"), ("te", "trailers"), ("authorization", "Bearer secret-token")]

    /// A `tapcompare.demo.Comment`: id 1, body 2, status 3 (1 VISIBLE, 2 HIDDEN), tags 4, author 5 {name 1}.
    public static func comment(id: Int64, status: Int64 = 1, tags: [String] = ["go", "perf"]) -> [UInt8] {
        var writer = ProtobufWriter().varint(1, id).string(2, "first!").varint(3, status)
        for tag in tags { writer = writer.string(4, tag) }
        return writer.message(5, ProtobufWriter().string(1, "ada")).bytes
    }

    /// The calls the tests capture: GetComment 7 and 8 (unary) and ListComments (server streaming), each a request
    /// body of one framed message.
    public static let calls: [(path: String, body: [UInt8])] = [
        (Self.get, HTTP2TestServer.frame(ProtobufWriter().varint(1, 7).bytes)),
        (Self.get, HTTP2TestServer.frame(ProtobufWriter().varint(1, 8).bytes)),
        (Self.list, HTTP2TestServer.frame(ProtobufWriter().string(1, "post-1").bytes)),
    ]

    /// Legacy's answers, or with `planted` the candidate's: comment 7 HIDDEN instead of VISIBLE, comment 8 not found
    /// (`grpc-status` 5), ListComments' third message missing and a tag dropped from the first.
    public static func answer(_ request: HTTP2TestServer.Request, planted: Bool) -> HTTP2TestServer.Behavior {
        // GetComment's one message is `08 <id>` behind its 5-byte frame header.
        let id = request.body.count > 6 ? request.body[6] : nil
        switch (request.header(":path"), id) {
        case (Self.get, 8) where planted:
            return HTTP2TestServer.grpc([], status: "5", message: "comment 8 not found")
        case (Self.get, let id):
            return HTTP2TestServer.grpc([Self.comment(id: Int64(id ?? 0), status: planted && id == 7 ? 2 : 1)], extraHeaders: [("x-served-by", "a")])
        default:
            var messages = (1...3).map { Self.comment(id: Int64($0)) }
            if planted {
                messages[0] = Self.comment(id: 1, tags: ["go"])
                messages.removeLast()
            }
            return HTTP2TestServer.grpc(messages)
        }
    }
}
