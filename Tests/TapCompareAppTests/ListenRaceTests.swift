import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TapCompareApp
import TapCompareTestSupport
import Testing

/// A listen address taken by another process after `serve`'s pre-flight and before the real bind. The race is staged
/// deterministically: ``ServeRunner/afterListenPreflight`` runs between the two, and the test takes the port there.
@Suite(.timeLimit(.minutes(TestTiming.minutes(1)))) struct ListenRaceTests {
    /// Another process: listens on a port of 127.0.0.1 from ``take(_:)`` until ``release()``.
    final class PortHolder: Sendable {
        private let channel = NIOLockedValueBox<(any Channel)?>(nil)

        func take(_ port: Int) async throws {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: port).get()
            self.channel.withLockedValue { $0 = channel }
        }

        func release() async throws {
            try await self.channel.withLockedValue { $0 }?.close()
        }
    }

    /// A port of 127.0.0.1 that nothing listens on now (bound at port 0 and released; taken again by the test right
    /// after the pre-flight).
    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        try await channel.close()
        return port
    }

    /// `serve` as the ServeHarness configures it (SQLite ledger in `directory`), forwarding to `legacy`.
    static func configuration(legacy: ScriptedUpstream, directory: String, proxyPort: Int, adminPort: Int) throws -> ServeConfiguration {
        var c = try ServeHarness.configuration(legacy: legacy.url, candidate: nil, directory: directory)
        c.listen = ListenAddress(host: "127.0.0.1", port: proxyPort)
        c.admin.listen = ListenAddress(host: "127.0.0.1", port: adminPort)
        return c
    }

    @Test("the proxy's port taken after the pre-flight: exit-2 configuration error naming --listen and the fix; nothing forwarded")
    func proxyPortTakenAfterThePreflight() async throws {
        let legacy = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: "legacy")) }
        let directory = try ServeHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let proxyPort = try await Self.freePort()
        let holder = PortHolder()
        // Flags only (no file): the message names the flag.
        var runner = ServeRunner(configuration: try Self.configuration(legacy: legacy, directory: directory, proxyPort: proxyPort, adminPort: 0))
        runner.afterListenPreflight = { try await holder.take(proxyPort) }
        let log = CapturedLog()

        let error = await #expect(throws: ConfigurationError.self) { try await runner.serve(logger: Logger(label: "test") { _ in log }) }
        #expect(
            error?.description
                == "command line: --listen: cannot listen on 127.0.0.1:\(proxyPort): another process is listening there; choose another address or port (listen in the file, or --listen)",
            "\(String(describing: error))"
        )
        #expect(legacy.connectionCount == 0, "nothing was forwarded to legacy")
        #expect(!log.messages.contains("proxy listening"), "\(log.messages)")
        try await holder.release()
        try await legacy.shutdown()
    }

    @Test("the admin port taken after the pre-flight: exit-2 configuration error naming admin.listen; the proxy never listened, legacy saw nothing")
    func adminPortTakenAfterThePreflight() async throws {
        let legacy = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: "legacy")) }
        let directory = try ServeHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The proxy on port 0: without the ordering it listens wherever it is given, and says so.
        let proxyPort = 0
        let adminPort = try await Self.freePort()
        let holder = PortHolder()
        var runner = ServeRunner(
            configuration: try Self.configuration(legacy: legacy, directory: directory, proxyPort: proxyPort, adminPort: adminPort),
            configurationFile: "tap.yml"
        )
        runner.afterListenPreflight = { try await holder.take(adminPort) }
        let log = CapturedLog()

        let error = await #expect(throws: ConfigurationError.self) { try await runner.serve(logger: Logger(label: "test") { _ in log }) }
        #expect(
            error?.description
                == "tap.yml: admin.listen: cannot listen on 127.0.0.1:\(adminPort): another process is listening there; choose another address or port (admin.listen in the file, or --admin)",
            "\(String(describing: error))"
        )
        // The proxy never opened its port: no "proxy listening" (which it logs as soon as it is bound, before it
        // could be told to stop) nor the start-up line, and legacy never saw a connection. Without the ordering the
        // proxy binds and accepts while the admin listener fails, and always logs it before the group has stopped.
        #expect(!log.messages.contains("proxy listening"), "\(log.messages)")
        #expect(!log.messages.contains("tapcompare listening"), "\(log.messages)")
        #expect(legacy.connectionCount == 0, "nothing was forwarded to legacy")
        try await holder.release()
        try await legacy.shutdown()
    }
}
