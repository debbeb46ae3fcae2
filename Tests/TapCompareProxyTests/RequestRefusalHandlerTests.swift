import CoreMetrics
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import TapCompareProxy

/// ``RequestRefusalHandler`` on an `EmbeddedChannel`: when a parser error is answered.
@Suite("Request refusals") struct RequestRefusalHandlerTests {
    /// A connected channel with the refusal handler and, behind it, a recorder of the errors it passes on.
    fileprivate static func refusingChannel() throws -> (EmbeddedChannel, ErrorRecorder) {
        let errors = ErrorRecorder()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(RequestRefusalHandler(metrics: ProxyMetrics(factory: NOOPMetricsHandler.instance)))
        try channel.pipeline.syncOperations.addHandler(errors)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 80)).wait()
        return (channel, errors)
    }

    @Test("a parser error behind a request still being answered waits for that response, then gets its 400")
    func deferredBehindPipelinedRequest() throws {
        let (channel, errors) = try Self.refusingChannel()

        try channel.writeInbound(HTTPServerRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/1")))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        channel.pipeline.fireErrorCaught(HTTPParserError.invalidContentLength)
        // The request ahead is still being answered: neither the refusal nor the abandonment happens yet.
        #expect(try channel.readOutbound(as: HTTPServerResponsePart.self) == nil)
        #expect(errors.count == 0)

        try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        #expect(try channel.readOutbound(as: HTTPServerResponsePart.self) == .head(HTTPResponseHead(version: .http1_1, status: .ok)))
        #expect(try channel.readOutbound(as: HTTPServerResponsePart.self) == .end(nil))
        guard case .head(let refusal) = try channel.readOutbound(as: HTTPServerResponsePart.self) else {
            Issue.record("no refusal after the response")
            return
        }
        #expect(refusal.status == .badRequest)
        #expect(errors.count == 1)
        _ = try? channel.finish()
    }

    @Test("a parser error mid-upload is answered at once")
    func immediateMidUpload() throws {
        let (channel, errors) = try Self.refusingChannel()

        try channel.writeInbound(HTTPServerRequestPart.head(HTTPRequestHead(version: .http1_1, method: .POST, uri: "/1")))
        channel.pipeline.fireErrorCaught(HTTPParserError.invalidChunkSize)
        guard case .head(let refusal) = try channel.readOutbound(as: HTTPServerResponsePart.self) else {
            Issue.record("no refusal")
            return
        }
        #expect(refusal.status == .badRequest)
        #expect(errors.count == 1)
        _ = try? channel.finish()
    }
}

/// Counts the errors that get past the handler in front of it (the proxy handler abandons its request on one).
private final class ErrorRecorder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    private(set) var count = 0

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.count += 1
    }
}
