import NIOCore
import NIOPosix

/// A bare TCP connection for tests that need to send part of a request, or go away mid-exchange.
public struct RawTCP: Sendable {
    let channel: any Channel

    public static func connect(
        port: Int,
        host: String = "127.0.0.1",
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> RawTCP {
        let channel = try await ClientBootstrap(group: group).connect(host: host, port: port).get()
        return RawTCP(channel: channel)
    }

    public func send(_ text: String) async throws {
        try await self.channel.writeAndFlush(self.channel.allocator.buffer(string: text)).get()
    }

    public func close() async throws {
        try await self.channel.close().get()
    }
}
