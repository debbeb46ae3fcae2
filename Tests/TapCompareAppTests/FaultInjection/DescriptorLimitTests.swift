import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TapCompareTestSupport
import Testing

extension FaultInjection {
    /// Far more connections than the process may hold descriptors: `tapcompare serve` under `ulimit -n 256` gets
    /// 640 concurrent clients. It must stay up, pause accepting instead of spinning, answer 502 (never crash)
    /// when it cannot open a connection to legacy, count what it refused, and serve normally once clients leave.
    @Suite("Descriptor limit") struct DescriptorLimit {
        /// Beyond what 256 descriptors hold, within what the proxy's accepted connections plus its listen backlog
        /// (1,024) take, so every connect completes without waiting for a SYN retry.
        ///
        /// Children of the test process start through `SpawnedProcess` (`posix_spawn`), never Foundation's
        /// `Process`, whose `run()` crashes once this process holds more than about a thousand descriptors
        /// (swift-corelibs-foundation#5472): a CI run died in it while this test held its clients.
        static let clients = 640
        /// The proxy's `ulimit -n`.
        static let descriptorLimit = 256

        @Test("thousands of connections at the descriptor limit degrade to pauses and 502s, then recover")
        func degradesGracefullyAndRecovers() async throws {
            try Self.raiseOwnDescriptorLimit(to: Self.clients + 512)
            let directory = try ServeHarness.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            // The clients and legacy get their own event loops, so the shared loops the rest of the test
            // process runs on stay responsive.
            let loops = MultiThreadedEventLoopGroup(numberOfThreads: 2)
            // Legacy holds its answers from `holding` until `released`, so a legacy connection is never free for
            // the next request while the proxy's descriptors are taken: the proxy must open one per request, and
            // cannot. Answering at once would let one pooled connection serve every client in turn, and whether
            // any 502 happened would depend on how fast this test sends.
            let legacyGate = NIOLockedValueBox((holding: false, released: false))
            let legacy = try await ScriptedUpstream(group: loops) { _ in
                .work { _ in
                    if legacyGate.withLockedValue({ $0.holding }) {
                        _ = await pollUntil(timeout: .seconds(30)) { legacyGate.withLockedValue { $0.released } }
                    }
                    return ScriptedResponse(body: "ok")
                }
            }
            let serve = try await ServeProcess.start(yaml: """
                legacy: \(legacy.url)
                listener:
                  header_timeout: 30s
                ledger:
                  url: sqlite:\(directory)/ledger.sqlite
                  spool_dir: \(directory)/spool

                """, directory: directory, descriptorLimit: Self.descriptorLimit)
            defer { serve.terminate() }
            let request = "GET /fault/fd HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
            #expect(RawResponse(parsing: try await RawHTTPClient.exchange(request, port: serve.proxyPort))?.status == 200)

            // Open every connection at once; the kernel completes handshakes into the backlog while the proxy
            // cannot accept.
            let connections = await withTaskGroup(of: RawTCP?.self) { group in
                for _ in 0..<Self.clients {
                    group.addTask { try? await RawTCP.connect(port: serve.proxyPort, connectTimeout: .seconds(15), group: loops) }
                }
                var open: [RawTCP] = []
                for await connection in group { if let connection { open.append(connection) } }
                return open
            }
            #expect(connections.count > 600)
            // The proxy has accepted clients until no descriptor was left, before any of them sends a request.
            try await eventually("the proxy holds all \(Self.descriptorLimit) descriptors", timeout: .seconds(30)) {
                (serve.openDescriptors() ?? 0) >= Self.descriptorLimit
            }
            legacyGate.withLockedValue { $0.holding = true }
            for connection in connections { try? await connection.send(request) }
            // A request that finds no descriptor for its legacy connection is answered 502; then legacy answers.
            try await eventually("a client is answered 502", timeout: .seconds(30)) {
                connections.contains { RawResponse(parsing: $0.received)?.status == 502 }
            }
            legacyGate.withLockedValue { $0.released = true }
            // Every client gets its answer (Connection: close) once descriptors free up, or its connection closed.
            try await eventually("every client has an answer or a closed connection", timeout: .seconds(30), poll: .milliseconds(50)) {
                connections.allSatisfy { $0.isClosed || RawResponse(parsing: $0.received) != nil }
            }
            #expect(serve.isRunning)

            let answered = connections.compactMap { RawResponse(parsing: $0.received) }
            let statuses = Dictionary(grouping: answered, by: \.status).mapValues(\.count)
            // Every answer is well-formed and either legacy's or a clean 502 for the legacy connection that could
            // not be opened; nothing else.
            #expect(Set(statuses.keys).isSubset(of: [200, 502]), "\(statuses)")
            #expect(statuses[502, default: 0] > 0, "\(statuses)")
            #expect(answered.filter { $0.status == 502 }.allSatisfy { String(decoding: $0.body, as: UTF8.self).hasPrefix("502 Bad Gateway: legacy upstream") })

            for connection in connections { try? await connection.close() }
            // Once the clients are gone the proxy serves normally again.
            let recovered = await pollUntil(timeout: .seconds(30), poll: .milliseconds(100)) {
                let bytes = try? await RawHTTPClient.exchange(request, port: serve.proxyPort)
                return bytes.flatMap { RawResponse(parsing: $0) }?.status == 200
            }
            #expect(recovered)
            #expect(serve.isRunning)
            let metrics = try await serve.metrics()
            #expect(metrics.value("tapcompare_client_refused_total", ["reason": "accept_fd_limit"]) > 0)
            #expect(metrics.value("tapcompare_requests_total", ["route": "GET /fault/fd", "status": "502"]) >= Double(statuses[502, default: 0]))
            #expect(try await serve.stop() == 0)
            try await legacy.shutdown()
            try await loops.shutdownGracefully()
        }

        /// The test process itself holds one descriptor per client connection (and the upstream's).
        static func raiseOwnDescriptorLimit(to wanted: Int) throws {
            var limit = rlimit()
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            guard limit.rlim_cur < rlim_t(wanted) else { return }
            guard limit.rlim_max >= rlim_t(wanted) else {
                throw TestSetupError("the test needs \(wanted) file descriptors; the hard limit is \(limit.rlim_max)")
            }
            limit.rlim_cur = rlim_t(wanted)
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
    }
}
