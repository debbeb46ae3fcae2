import NIOCore
import NIOHTTP1

/// A response the proxy writes itself — a refused request, or legacy's failure — as short plain text naming what
/// went wrong.
struct LocalResponse {
    var head: HTTPResponseHead
    var body: ByteBuffer

    /// A refused request (see ``ClientRefusal``): the connection closes after it.
    static func refusal(status: HTTPResponseStatus, explanation: String, allocator: ByteBufferAllocator) -> LocalResponse {
        let body = allocator.buffer(string: "\(status.code) \(status.reasonPhrase): \(explanation)\n")
        let headers = HTTPHeaders([
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", String(body.readableBytes)),
            ("Connection", "close"),
        ])
        return LocalResponse(head: HTTPResponseHead(version: .http1_1, status: status, headers: headers), body: body)
    }

    /// Legacy failed (`error`) before answering: `status` is 502, or 504 for a timeout. The request id is
    /// echoed so the failure can be found in the logs.
    static func legacyFailure(
        _ error: UpstreamError,
        status: HTTPResponseStatus,
        version: HTTPVersion,
        connection: ProxyRequestStateMachine.ConnectionHeader?,
        requestIDHeader: String,
        requestID: String,
        allocator: ByteBufferAllocator
    ) -> LocalResponse {
        let body = allocator.buffer(string: "\(status.code) \(status.reasonPhrase): legacy upstream \(error.description)\n")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: requestIDHeader, value: requestID)
        switch connection {
        case .close: headers.add(name: "Connection", value: "close")
        case .keepAlive: headers.add(name: "Connection", value: "keep-alive")
        case nil: break
        }
        return LocalResponse(head: HTTPResponseHead(version: version, status: status, headers: headers), body: body)
    }
}
