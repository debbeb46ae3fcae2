import Foundation
import NIOCore
import NIOPosix

/// Sends raw request bytes and returns every byte the server sent until it closed the connection.
///
/// For tests that must see exactly what goes over the wire (header order, repeated headers, hop-by-hop
/// headers), which a full HTTP client would normalise. Send `Connection: close` so the server ends it.
public enum RawHTTPClient {
    public static func exchange(
        _ request: [UInt8],
        port: Int,
        host: String = "127.0.0.1",
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> [UInt8] {
        let eventLoop = group.any()
        let done = eventLoop.makePromise(of: [UInt8].self)
        do {
            _ = try await ClientBootstrap(group: eventLoop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(CollectingHandler(request: request, done: done))
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            done.fail(error)
            throw error
        }
        return try await done.futureResult.get()
    }

    public static func exchange(_ request: String, port: Int) async throws -> [UInt8] {
        try await self.exchange(Array(request.utf8), port: port)
    }
}

/// Sends the request the moment the connection is up, on its event loop, and collects the answer until close.
///
/// Sending from the channel rather than from the awaiting task matters on a loaded machine: a task can resume
/// seconds after `connect` returns, and a server with a head deadline rightly closes a connection that has sent
/// nothing by then.
final class CollectingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let request: [UInt8]
    private var bytes: [UInt8] = []
    private var writeError: (any Error)?
    private let done: EventLoopPromise<[UInt8]>

    init(request: [UInt8], done: EventLoopPromise<[UInt8]>) {
        self.request = request
        self.done = done
    }

    func channelActive(context: ChannelHandlerContext) {
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(bytes: self.request)), promise: written)
        written.futureResult.assumeIsolated().whenFailure { error in
            // The server may answer and close before the whole request is written (a 431 after the first 8 KiB
            // of an oversized head): what it sent is still the answer. Only a connection that got nothing back
            // reports the write's error.
            self.writeError = error
            context.close(promise: nil)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.bytes += self.unwrapInboundIn(data).readableBytesView
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.finish()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Completing twice is harmless for the caller; leaving it open would trap in debug builds.
        self.finish()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset after data still yields what arrived.
        context.close(promise: nil)
    }

    private func finish() {
        if self.bytes.isEmpty, let error = self.writeError {
            self.done.fail(error)
        } else {
            self.done.succeed(self.bytes)
        }
    }
}

/// A response parsed from raw bytes: status, headers in wire order, and the body (de-chunked when chunked).
public struct RawResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public func values(_ name: String) -> [String] {
        self.headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    /// Parses one response from `bytes`. `hasBody: false` for HEAD, 204 and 304.
    public init?(parsing bytes: [UInt8], hasBody: Bool = true) {
        guard let end = Self.find([13, 10, 13, 10], in: bytes) else { return nil }
        let headText = String(decoding: bytes[..<end], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        self.status = status
        self.headers = lines.compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let rest = Array(bytes[(end + 4)...])
        if !hasBody {
            self.body = []
        } else if self.headers.contains(where: { $0.name.lowercased() == "transfer-encoding" && $0.value.lowercased() == "chunked" }) {
            var body: [UInt8] = []
            var index = 0
            while let lineEnd = Self.find([13, 10], in: rest, from: index) {
                let sizeText = String(decoding: rest[index..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
                if size == 0 { break }
                let start = lineEnd + 2
                guard start + size <= rest.count else { return nil }
                body += rest[start..<(start + size)]
                index = start + size + 2
            }
            self.body = body
        } else if let length = self.headers.first(where: { $0.name.lowercased() == "content-length" }).flatMap({ Int($0.value) }) {
            self.body = Array(rest.prefix(length))
        } else {
            self.body = rest
        }
    }

    public static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int = 0) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var i = from
        while i <= haystack.count - needle.count {
            if haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }
}
