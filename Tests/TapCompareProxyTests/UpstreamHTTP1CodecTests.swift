import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import TapCompareProxy

/// ``UpstreamHTTP1Codec`` against NIO's `HTTPRequestEncoder` + `HTTPResponseDecoder`, which it replaced on upstream
/// connections: the same bytes in give the same parts (or the same error) out, however the bytes are split across
/// reads, and the same request parts give the same bytes on the wire.
@Suite("Upstream HTTP/1.1 codec") struct UpstreamHTTP1CodecTests {
    /// One response stream: the methods of the requests sent, then what the upstream wrote.
    struct Case: CustomStringConvertible {
        var name: String
        var methods: [HTTPMethod] = [.GET]
        var bytes: String

        var description: String { self.name }
    }

    static let cases: [Case] = [
        Case(name: "content-length", bytes: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"),
        Case(name: "content-length 0", bytes: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        Case(
            name: "chunked, extensions, trailers",
            bytes: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\nX-Other:  two words \r\n\r\n"
        ),
        Case(name: "chunked, no trailers", bytes: "HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n"),
        Case(name: "chunked last of codings", bytes: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
        Case(name: "transfer coding not chunked: read to the close", bytes: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabcdef"),
        Case(name: "no framing: read to the close", bytes: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"),
        Case(name: "HTTP/1.0", bytes: "HTTP/1.0 200 OK\r\nServer: old\r\n\r\nbody"),
        Case(name: "HTTP/1.0 keep-alive", bytes: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok"),
        Case(
            name: "HEAD answer has no body, the next does",
            methods: [.HEAD, .GET],
            bytes: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
        ),
        Case(
            name: "204 and 304 have no body",
            methods: [.GET, .GET, .GET],
            bytes: "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 4\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"
        ),
        Case(name: "100 Continue dropped", methods: [.POST], bytes: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"),
        Case(name: "103 Early Hints dropped", bytes: "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        Case(name: "101, then other bytes", bytes: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\u{1}\u{5}hello"),
        Case(name: "no reason phrase", bytes: "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"),
        Case(name: "empty value, spaces around values, UTF-8", bytes: "HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Pad:   v  \r\nX-Name: café\r\nContent-Length: 0\r\n\r\n"),
        Case(name: "custom status", bytes: "HTTP/1.1 299 Whatever It Says\r\nContent-Length: 0\r\n\r\n"),
        Case(
            name: "two responses back to back",
            methods: [.GET, .GET],
            bytes: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno"
        ),
        Case(name: "connection close", bytes: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"),
        // Cut short: the end of input is an error.
        Case(name: "body cut short", bytes: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"),
        Case(name: "head cut short", bytes: "HTTP/1.1 200 OK\r\nContent-Len"),
        Case(name: "chunk cut short", bytes: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"),
        // Malformed: an error, and nothing more is parsed.
        Case(name: "content-length and transfer-encoding", bytes: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
        Case(name: "two content-lengths", bytes: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
        Case(name: "content-length not a number", bytes: "HTTP/1.1 200 OK\r\nContent-Length: 3x\r\n\r\nabc"),
        Case(name: "bad chunk size", bytes: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"),
        Case(name: "no CRLF after chunk data", bytes: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n"),
        Case(name: "space before colon", bytes: "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n"),
        Case(name: "control byte in a value", bytes: "HTTP/1.1 200 OK\r\nX-Bad: a\u{1}b\r\nContent-Length: 0\r\n\r\n"),
        Case(name: "HTTP/2.0 status line", bytes: "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"),
        Case(name: "not HTTP", bytes: "SSH-2.0-OpenSSH_9.6\r\n\r\n"),
        Case(name: "unsolicited", methods: [], bytes: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        Case(name: "obsolete line folding", bytes: "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n"),
        Case(name: "bare LF line ends", bytes: "HTTP/1.1 200 OK\nContent-Length: 0\n\n"),
        Case(name: "space after chunk size", bytes: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3 ;x=y\r\nabc\r\n0\r\n\r\n"),
        Case(name: "four-digit status", bytes: "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n"),
        Case(name: "status 600", bytes: "HTTP/1.1 600 Odd\r\nContent-Length: 1\r\n\r\nx"),
        Case(name: "bad byte in a trailer", bytes: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: a\u{7F}\r\n\r\n"),
        Case(name: "content-length with spaces", bytes: "HTTP/1.1 200 OK\r\nContent-Length:  2 \r\n\r\nok"),
        Case(name: "negative content-length", bytes: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nok"),
        Case(name: "huge content-length", bytes: "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\nok"),
        Case(name: "empty header name", bytes: "HTTP/1.1 200 OK\r\n: v\r\nContent-Length: 0\r\n\r\n"),
    ]

    // MARK: Responses

    @Test("the same response parts as NIO's decoder, for the whole input at once and split at every byte", arguments: Self.cases)
    func sameParts(_ testCase: Case) throws {
        let bytes = Array(testCase.bytes.utf8)
        let expected = try Self.decodeWithNIO(testCase.methods, [bytes])
        #expect(expected.last != nil, "NIO's decoder gave nothing for \(testCase.name)")
        #expect(try Self.decodeWithCodec(testCase.methods, [bytes]) == expected)
        #expect(try Self.decodeWithCodec(testCase.methods, bytes.map { [$0] }) == expected, "one byte per read")
        var differingSplits: [Int] = []
        for split in 1..<bytes.count {
            let reads = [Array(bytes[..<split]), Array(bytes[split...])]
            if try Self.decodeWithCodec(testCase.methods, reads) != expected { differingSplits.append(split) }
        }
        #expect(differingSplits.isEmpty, "split into two reads at \(differingSplits)")
    }

    @Test("a head larger than the limit is refused before it all arrives, as NIO's decoder refuses it")
    func headOverflow() throws {
        let filler = String(repeating: "x", count: 1000)
        var head = "HTTP/1.1 200 OK\r\n"
        for i in 0..<100 { head += "X-Filler-\(i): \(filler)\r\n" }
        let bytes = Array((head + "Content-Length: 0\r\n\r\n").utf8)
        let reads = stride(from: 0, to: bytes.count, by: 4096).map { Array(bytes[$0..<min($0 + 4096, bytes.count)]) }
        let expected = try Self.decodeWithNIO([.GET], reads)
        #expect(expected == [.error("HTTPParserError")])
        #expect(try Self.decodeWithCodec([.GET], reads) == expected)
    }

    @Test("bytes after an error are dropped: one error, nothing after it")
    func nothingAfterAnError() throws {
        let bytes = Array("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n".utf8)
        let more = Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8)
        let observed = try Self.decodeWithCodec([.GET, .GET], [bytes, more, more])
        #expect(observed == [.error("HTTPParserError")])
    }

    @Test("removed after a 101, it passes on the bytes read past the response, after the response's end", arguments: [false, true])
    func leftOverBytesAfterUpgrade(splitBeforeTheBytes: Bool) throws {
        let head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n"
        let reads = splitBeforeTheBytes ? [Array(head.utf8), Array("tunnel bytes".utf8)] : [Array((head + "tunnel bytes").utf8)]
        let nio = try Self.decodeWithNIO([.GET], reads, removeAfterUpgrade: true)
        let ours = try Self.decodeWithCodec([.GET], reads, removeAfterUpgrade: true)
        #expect(ours == nio)
        // Read with the response, they are passed on when the codec leaves; read after, they reach the next
        // handler directly. Either way they follow the response's end, once.
        #expect(ours.suffix(2) == [.end(nil), .bytes("tunnel bytes")])
    }

    @Test("keep-alive from the Connection field and the version, as NIO decides it", arguments: [
        (nil, HTTPVersion.http1_1), (nil, .http1_0), ("close", .http1_1), ("keep-alive", .http1_0), ("Keep-Alive", .http1_1),
        ("CLOSE", .http1_0), (" close , foo", .http1_1), ("keep-alive, close", .http1_1), ("keep-alive,keep-alive", .http1_1),
        ("upgrade", .http1_0), ("upgrade", .http1_1), ("", .http1_1), ("keep-alive", HTTPVersion(major: 2, minor: 0)),
    ] as [(String?, HTTPVersion)])
    func keepAlive(connection: String?, version: HTTPVersion) {
        var headers = HTTPHeaders([("content-type", "text/plain")])
        if let connection { headers.add(name: "Connection", value: connection) }
        let nio = HTTPResponseHead(version: version, status: .ok, headers: headers).isKeepAlive
        #expect(ConnectionKeepAlive.isKeepAlive(headers, version: version) == nio)
    }

    // MARK: Requests

    static let requests: [(String, [HTTPClientRequestPart])] = [
        ("GET", [.head(Self.head(.GET, [("Host", "legacy"), ("Accept", "*/*")])), .end(nil)]),
        ("POST with content-length", [
            .head(Self.head(.POST, [("Host", "legacy"), ("Content-Length", "5")])), .body(.byteBuffer(ByteBuffer(string: "hello"))), .end(nil),
        ]),
        ("POST chunked with trailers", [
            .head(Self.head(.POST, [("Host", "legacy"), ("Transfer-Encoding", "chunked")])),
            .body(.byteBuffer(ByteBuffer(string: "hello"))), .body(.byteBuffer(ByteBuffer())),
            .body(.byteBuffer(ByteBuffer(string: String(repeating: "y", count: 300)))), .end(["X-Checksum": "abc"]),
        ]),
        ("POST without framing goes chunked", [
            .head(Self.head(.POST, [("Host", "legacy")])), .body(.byteBuffer(ByteBuffer(string: "a"))), .end(nil),
        ]),
        ("PUT with both framings keeps content-length", [
            .head(Self.head(.PUT, [("Content-Length", "1"), ("Transfer-Encoding", "chunked")])), .body(.byteBuffer(ByteBuffer(string: "a"))), .end(nil),
        ]),
        ("DELETE chunked", [
            .head(Self.head(.DELETE, [("Transfer-Encoding", "chunked")])), .body(.byteBuffer(ByteBuffer(string: "abc"))), .end(nil),
        ]),
        ("TRACE loses its framing", [.head(Self.head(.TRACE, [("Content-Length", "0"), ("Transfer-Encoding", "chunked")])), .end(nil)]),
        ("HTTP/1.0 POST", [
            .head(HTTPRequestHead(version: .http1_0, method: .POST, uri: "/old", headers: ["Host": "legacy"])),
            .body(.byteBuffer(ByteBuffer(string: "raw"))), .end(nil),
        ]),
        ("custom method, odd target", [.head(Self.head(.RAW(value: "PURGE"), [("X-A", "1")], uri: "/a%20b?q=1&r=é")), .end(nil)]),
    ]

    @Test("the same request bytes as NIO's encoder", arguments: Self.requests.indices)
    func sameRequestBytes(_ index: Int) throws {
        let (name, parts) = Self.requests[index]
        #expect(try Self.encode(parts, with: HTTPRequestEncoder()) == Self.encode(parts, with: UpstreamHTTP1Codec()), "\(name)")
    }

    @Test("a request's promises complete in order: a chunked body part's after its bytes are written")
    func promisesInOrder() throws {
        let channel = EmbeddedChannel(handler: UpstreamHTTP1Codec())
        let completed = NIOLockedValueBox<[String]>([])
        let head = channel.eventLoop.makePromise(of: Void.self)
        let body = channel.eventLoop.makePromise(of: Void.self)
        let end = channel.eventLoop.makePromise(of: Void.self)
        head.futureResult.whenSuccess { completed.withLockedValue { $0.append("head") } }
        body.futureResult.whenSuccess { completed.withLockedValue { $0.append("body") } }
        end.futureResult.whenSuccess { completed.withLockedValue { $0.append("end") } }
        channel.write(HTTPClientRequestPart.head(Self.head(.POST, [])), promise: head)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(string: "abc"))), promise: body)
        channel.write(HTTPClientRequestPart.end(nil), promise: end)
        #expect(completed.withLockedValue { $0 }.isEmpty)
        channel.flush()
        #expect(completed.withLockedValue { $0 } == ["head", "body", "end"])
        _ = try channel.finish()
    }

    // MARK: Helpers

    static func head(_ method: HTTPMethod, _ fields: [(String, String)], uri: String = "/comments?page=2") -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: HTTPHeaders(fields))
    }

    /// What a decoder passed on, body parts joined (where a body is cut between parts depends on the reads).
    enum Observed: Equatable, CustomStringConvertible {
        case head(HTTPResponseHead)
        case body(String)
        case end(HTTPHeaders?)
        /// Bytes passed on as they were (after an upgrade).
        case bytes(String)
        case error(String)

        var description: String {
            switch self {
            case .head(let head): "head(\(head.status.code) \(head.version) \(head.headers.map { "\($0.name)=\($0.value)" }))"
            case .body(let body): "body(\(body.debugDescription))"
            case .end(let trailers): "end(\(trailers.map { "\($0.map { "\($0.name)=\($0.value)" })" } ?? "nil"))"
            case .bytes(let bytes): "bytes(\(bytes.debugDescription))"
            case .error(let error): "error(\(error))"
            }
        }
    }

    /// Records what reaches the end of the pipeline; optionally removes the codec when a `101`'s response ends, as
    /// the proxy's tunnel does.
    final class Recorder: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        var observed: [Observed] = []
        let removeAfterUpgrade: Bool
        var removeCodec: (() -> Void)?
        private var upgrading = false
        /// After the codec left, what arrives is bytes.
        private var codecRemoved = false

        init(removeAfterUpgrade: Bool) { self.removeAfterUpgrade = removeAfterUpgrade }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if !self.codecRemoved {
                switch Self.unwrapInboundIn(data) {
                case .head(let head):
                    self.observed.append(.head(head))
                    self.upgrading = head.status == HTTPResponseStatus.switchingProtocols
                case .body(let buffer):
                    let text = String(buffer: buffer)
                    if case .body(let before) = self.observed.last {
                        self.observed[self.observed.count - 1] = .body(before + text)
                    } else {
                        self.observed.append(.body(text))
                    }
                case .end(let trailers):
                    self.observed.append(.end(trailers))
                    if self.upgrading && self.removeAfterUpgrade {
                        self.codecRemoved = true
                        self.removeCodec?()
                    }
                }
            } else {
                self.observed.append(.bytes(String(buffer: BytesIn.unwrapInboundIn(data))))
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            if error is HTTPParserError {
                // Which case differs between the decoders for some malformed inputs (llhttp says `unknown` where a
                // content-length comes with a transfer-encoding); the proxy counts any of them as an invalid response.
                self.observed.append(.error("HTTPParserError"))
            } else if error as? NIOHTTPDecoderError == .unsolicitedResponse {
                self.observed.append(.error("unsolicitedResponse"))
            } else {
                self.observed.append(.error("other: \(error)"))
            }
        }
    }

    /// Names the type bytes are unwrapped as.
    final class BytesIn: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
    }

    static func decodeWithNIO(_ methods: [HTTPMethod], _ reads: [[UInt8]], removeAfterUpgrade: Bool = false) throws -> [Observed] {
        let channel = EmbeddedChannel()
        let recorder = Recorder(removeAfterUpgrade: removeAfterUpgrade)
        let sync = channel.pipeline.syncOperations
        try sync.addHTTPClientHandlers(leftOverBytesStrategy: .forwardBytes, enableOutboundHeaderValidation: false)
        try sync.addHandler(recorder)
        recorder.removeCodec = {
            let sync = channel.pipeline.syncOperations
            sync.removeHandler(context: try! sync.context(handlerType: HTTPRequestEncoder.self), promise: nil)
            sync.removeHandler(context: try! sync.context(handlerType: ByteToMessageHandler<HTTPResponseDecoder>.self), promise: nil)
        }
        return try Self.run(channel, recorder, methods, reads)
    }

    static func decodeWithCodec(_ methods: [HTTPMethod], _ reads: [[UInt8]], removeAfterUpgrade: Bool = false) throws -> [Observed] {
        let channel = EmbeddedChannel()
        let recorder = Recorder(removeAfterUpgrade: removeAfterUpgrade)
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(UpstreamHTTP1Codec())
        try sync.addHandler(recorder)
        recorder.removeCodec = {
            let sync = channel.pipeline.syncOperations
            sync.removeHandler(context: try! sync.context(handlerType: UpstreamHTTP1Codec.self), promise: nil)
        }
        return try Self.run(channel, recorder, methods, reads)
    }

    private static func run(_ channel: EmbeddedChannel, _ recorder: Recorder, _ methods: [HTTPMethod], _ reads: [[UInt8]]) throws -> [Observed] {
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 80)).wait()
        for method in methods {
            try channel.writeOutbound(HTTPClientRequestPart.head(Self.head(method, [("Host", "legacy"), ("Content-Length", "0")])))
            try channel.writeOutbound(HTTPClientRequestPart.end(nil))
        }
        for read in reads {
            try channel.writeInbound(ByteBuffer(bytes: read))
            // NIO's decoder leaves the pipeline in a task of its own.
            channel.embeddedEventLoop.run()
        }
        // The upstream closes: a body delimited by the close ends, a response cut short is an error.
        _ = try? channel.finish(acceptAlreadyClosed: true)
        // After the first error each decoder has its own way of refusing more bytes; the proxy closes at the first.
        if let error = recorder.observed.firstIndex(where: { if case .error = $0 { true } else { false } }) {
            return Array(recorder.observed[...error])
        }
        return recorder.observed
    }

    static func encode(_ parts: [HTTPClientRequestPart], with handler: any ChannelHandler) throws -> [UInt8] {
        let channel = EmbeddedChannel(handler: handler)
        for part in parts {
            try channel.writeOutbound(part)
        }
        var bytes: [UInt8] = []
        while let data = try channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = data else { continue }
            bytes += buffer.readableBytesView
        }
        _ = try channel.finish()
        return bytes
    }
}
