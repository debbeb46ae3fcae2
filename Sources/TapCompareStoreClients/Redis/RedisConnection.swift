import NIOCore
import NIOPosix

/// A read-only connection to one Redis server: sends ``RedisCommand``s (reads only, by construction) and returns
/// their replies, pipelined, each within the call timeout.
///
/// Speaks RESP2, which every Redis since 2.0 answers by default; the decoder also reads every RESP3 type, so a
/// server or proxy that answers in RESP3 is understood.
public final class RedisConnection: Sendable {
    public let endpoint: RedisEndpoint
    private let connection: PipelinedConnection<RedisCommand, RESPValue>

    private init(endpoint: RedisEndpoint, connection: PipelinedConnection<RedisCommand, RESPValue>) {
        self.endpoint = endpoint
        self.connection = connection
    }

    /// Connects, authenticates when the endpoint has a password, and selects its database.
    ///
    /// - Parameters:
    ///   - connectTimeout: for the TCP connection. Default 2 s.
    ///   - callTimeout: for each reply (the handshake's included). Default 2 s.
    ///   - limits: bounds on one reply.
    /// - Throws: ``StoreClientError``: unreachable, refused credentials (`serverError`), a reply over the limits.
    public static func connect(
        to endpoint: RedisEndpoint,
        connectTimeout: Duration = .seconds(2),
        callTimeout: Duration = .seconds(2),
        limits: RESPParser.Limits = .init(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(StoreClientError) -> RedisConnection {
        let pipelined = try await PipelinedConnection<RedisCommand, RESPValue>.connect(
            host: endpoint.host, port: endpoint.port, connectTimeout: connectTimeout, callTimeout: callTimeout, group: group
        ) {
            [ByteToMessageHandler(RESPDecoder(limits: limits)), MessageToByteHandler(RedisCommandEncoder())]
        }
        let connection = RedisConnection(endpoint: endpoint, connection: pipelined)
        do {
            if let password = endpoint.password {
                _ = try await connection.send(.auth(user: endpoint.user, password: password))
            }
            if endpoint.database != 0 {
                _ = try await connection.send(.select(endpoint.database))
            }
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    /// Sends `command` and returns its reply.
    /// - Throws: ``StoreClientError``; an error reply (`-ERR …`, `-WRONGTYPE …`) is `serverError`.
    public func send(_ command: RedisCommand) async throws(StoreClientError) -> RESPValue {
        let reply = try await self.connection.call(command, name: command.name)
        if case .error(let message) = reply { throw .serverError(message) }
        return reply
    }

    public func close() async {
        await self.connection.close()
    }
}
