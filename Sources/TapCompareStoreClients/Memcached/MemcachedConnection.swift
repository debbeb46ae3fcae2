import NIOCore
import NIOPosix

/// Where a memcached server is: `host:port` or `memcached://host:port` (default port 11211).
public struct MemcachedEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int = 11211) {
        self.host = host
        self.port = port
    }

    /// - Throws: ``StoreClientError`` naming the form to write.
    public init(parsing text: String) throws(StoreClientError) {
        let form = "write host:port or memcached://host:port, e.g. 127.0.0.1:11211"
        var rest = Substring(text)
        if rest.hasPrefix("memcached://") { rest = rest.dropFirst("memcached://".count) } else if rest.contains("://") {
            throw .invalidAddress("'\(text)' is not a memcached address; \(form)")
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        let (host, port) = try HostPort.split(rest, defaultPort: 11211, original: text, form: form)
        self.init(host: host, port: port)
    }

    public var description: String { "memcached://\(self.host):\(self.port)" }
}

/// A read-only connection to one memcached server (text protocol): retrievals only, pipelined, each within the
/// call timeout.
public final class MemcachedConnection: Sendable {
    public let endpoint: MemcachedEndpoint
    private let connection: PipelinedConnection<MemcachedCommand, MemcachedResponse>

    private init(endpoint: MemcachedEndpoint, connection: PipelinedConnection<MemcachedCommand, MemcachedResponse>) {
        self.endpoint = endpoint
        self.connection = connection
    }

    /// - Parameters:
    ///   - connectTimeout: for the TCP connection. Default 2 s.
    ///   - callTimeout: for each reply. Default 2 s.
    /// - Throws: ``StoreClientError/connectFailed(_:underlying:)``.
    public static func connect(
        to endpoint: MemcachedEndpoint,
        connectTimeout: Duration = .seconds(2),
        callTimeout: Duration = .seconds(2),
        limits: MemcachedParser.Limits = .init(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(StoreClientError) -> MemcachedConnection {
        let pipelined = try await PipelinedConnection<MemcachedCommand, MemcachedResponse>.connect(
            host: endpoint.host, port: endpoint.port, connectTimeout: connectTimeout, callTimeout: callTimeout, group: group
        ) {
            [ByteToMessageHandler(MemcachedDecoder(parser: MemcachedParser(limits: limits))), MessageToByteHandler(MemcachedCommandEncoder())]
        }
        return MemcachedConnection(endpoint: endpoint, connection: pipelined)
    }

    /// Sends `command` and returns its reply.
    /// - Throws: ``StoreClientError``; an `ERROR`/`CLIENT_ERROR`/`SERVER_ERROR` reply is `serverError`.
    public func send(_ command: MemcachedCommand) async throws(StoreClientError) -> MemcachedResponse {
        let reply = try await self.connection.call(command, name: command.name)
        if case .error(let message) = reply { throw .serverError(message) }
        return reply
    }

    /// The item stored under `key`, `nil` when there is none.
    public func get(_ key: String) async throws(StoreClientError) -> MemcachedItem? {
        guard case .items(let items) = try await self.send(try .get(key)) else {
            throw .protocolViolation("memcached answered get with something other than items")
        }
        return items.first { $0.key == key }
    }

    public func close() async {
        await self.connection.close()
    }
}
