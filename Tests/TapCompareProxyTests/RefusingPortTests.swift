import NIOCore
import NIOPosix
import TapCompareTestSupport
import Testing

/// The harness's "nothing listens here" port must stay that way for the whole run: tests that expect a refused
/// candidate or webhook run beside tests that start servers on free ports.
struct RefusingPortTests {
    @Test func aRefusingPortRefusesAndNoServerCanTakeIt() async throws {
        let port = try await ScriptedUpstream.refusingPort()
        // A server asking for exactly that port (even with SO_REUSEADDR, as ScriptedUpstream sets) is refused.
        await #expect(throws: (any Error).self) {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: "127.0.0.1", port: port).get()
            try await channel.close().get()
        }
        // Connecting is refused at once.
        await #expect(throws: (any Error).self) { _ = try await RawTCP.connect(port: port, connectTimeout: .seconds(5)) }
        // And servers on free ports never get it.
        var others: [ScriptedUpstream] = []
        for _ in 0..<50 { others.append(try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: "x")) }) }
        #expect(!others.contains { $0.port == port })
        for other in others { try await other.shutdown() }
    }
}
