import Foundation
import NIOCore
import NIOPosix
import TapCompareApp
import TapCompareTestSupport
import Testing

extension FaultInjection {
    /// A candidate that misbehaves in every way a network peer can: the client always gets legacy's exact answer,
    /// the ledger records what went wrong, and `/metrics` counts it.
    @Suite("Candidate faults") struct CandidateFaults {
        static let legacyBody = #"{"id":1,"text":"from legacy"}"#
        static let legacyResponse = ScriptedResponse(headers: [("Content-Type", "application/json")], body: legacyBody)

        /// Runs `serve` with a well-behaved legacy and a candidate doing `behavior`, sends `count` requests to `path`
        /// and checks every client saw legacy's answer byte for byte.
        func run(
            _ behavior: UpstreamBehavior,
            path: String,
            count: Int = 2,
            configure: @escaping (inout ServeConfiguration) -> Void = { _ in },
            check: (ServeHarness, [LedgerRow], _ before: PrometheusText, _ after: PrometheusText) async throws -> Void
        ) async throws {
            let legacy = try await ScriptedUpstream { _ in .respond(Self.legacyResponse) }
            let candidate = try await ScriptedUpstream { _ in behavior }
            try await ServeHarness.with(legacy: legacy, candidate: candidate, configure: { c, _ in configure(&c) }) { serve in
                let before = try await serve.metrics()
                for i in 0..<count {
                    let response = try #require(try await serve.get(path, requestID: "req-\(i)"))
                    #expect(response.status == 200)
                    #expect(response.bodyText == Self.legacyBody)
                    #expect(response.values("Content-Type") == ["application/json"])
                }
                let rows = try await serve.waitForRows(count)
                #expect(rows.count == count)
                #expect(Set(rows.map(\.requestID)) == Set((0..<count).map { "req-\($0)" }))
                #expect(rows.allSatisfy { $0.legacyStatus == 200 })
                let after = try await serve.waitForMetrics { $0.value("tapcompare_comparisons_total", ["route": "GET \(path)"]) >= Double(count) }
                try await check(serve, rows, before, after)
            }
            try await legacy.shutdown()
            try await candidate.shutdown()
        }

        @Test("a hanging candidate is cut at mirror.timeout: outcome candidate_timeout, timeouts counted")
        func hangs() async throws {
            let route = "GET /fault/candidate-hang"
            try await self.run(.hang, path: "/fault/candidate-hang", configure: { $0.mirror.timeout = .milliseconds(300) }) { _, rows, _, after in
                #expect(rows.allSatisfy { $0.outcome == "candidate_timeout" && $0.candidateStatus == nil })
                #expect(after.value("tapcompare_candidate_timeouts_total", ["route": route]) == 2)
                #expect(after.value("tapcompare_comparisons_total", ["route": route, "outcome": "candidate_timeout"]) == 2)
            }
        }

        @Test("a candidate that resets mid-body is a candidate_error with the reason, counted")
        func resetsMidBody() async throws {
            let route = "GET /fault/candidate-reset"
            let answer = ScriptedResponse(body: String(repeating: "x", count: 10_000))
            try await self.run(.resetMidBody(answer, afterBytes: 1_000), path: "/fault/candidate-reset") { _, rows, _, after in
                #expect(rows.allSatisfy { $0.outcome == "candidate_error" })
                #expect(rows.allSatisfy { $0.reason == "connection closed before the response was complete" })
                #expect(after.value("tapcompare_candidate_errors_total", ["route": route]) == 2)
                #expect(after.value("tapcompare_comparisons_total", ["route": route, "outcome": "candidate_error"]) == 2)
            }
        }

        @Test("a candidate answering bytes that are not HTTP is a candidate_error, counted")
        func answersMalformedHTTP() async throws {
            let route = "GET /fault/candidate-garbage"
            try await self.run(.garbage(Array("SMTP ready\r\n\r\n\u{0}\u{1}".utf8)), path: "/fault/candidate-garbage") { _, rows, _, after in
                #expect(rows.allSatisfy { $0.outcome == "candidate_error" && $0.reason == "invalid HTTP response" })
                #expect(after.value("tapcompare_candidate_errors_total", ["route": route]) == 2)
            }
        }

        /// Run against the built binary so the proxy's own memory can be read (`/proc/PID/status`) and its
        /// counters start at zero.
        @Test("a 100 MB candidate body is read through, never held: skipped response_too_large, counted, memory flat")
        func sendsAHundredMegabytes() async throws {
            let directory = try ServeHarness.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let legacy = try await ScriptedUpstream { _ in .respond(Self.legacyResponse) }
            // Writing 100 MB keeps a loop busy: the candidate gets its own, off the shared ones.
            let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let candidate = try await ScriptedUpstream(group: loops) { _ in .huge(bytes: 100 << 20) }
            let serve = try await ServeProcess.start(yaml: """
                legacy: \(legacy.url)
                candidate: \(candidate.url)
                sample_rate: 1
                race:
                  recheck: false
                mirror:
                  timeout: 50s
                ledger:
                  url: sqlite:\(directory)/ledger.sqlite
                  spool_dir: \(directory)/spool
                  flush_interval: 20ms

                """, directory: directory)
            defer { serve.terminate() }
            let baseline = try #require(serve.memory("VmRSS"))

            let bytes = try await RawHTTPClient.exchange(
                "GET /fault/candidate-huge HTTP/1.1\r\nHost: t\r\nX-Request-Id: huge\r\nConnection: close\r\n\r\n", port: serve.proxyPort
            )
            #expect(RawResponse(parsing: bytes)?.bodyText == Self.legacyBody)
            let skipped = ["reason": "response_too_large"]
            // Only a hang guard: scaled like every other (a sanitizer build streams the 100 MB several times slower).
            try await eventually("the 100 MB answer is counted skipped response_too_large", timeout: .seconds(50), poll: .milliseconds(50)) {
                try await serve.metrics().value("tapcompare_skipped_total", skipped) >= 1
            }
            #expect(try await serve.metrics().value("tapcompare_skipped_total", skipped) == 1)
            #expect(await candidate.waitUntil { $0.respondedCount == 1 }, "the candidate wrote all 100 MB")
            // Only mirror.max_response_bytes (8 MiB) of it is kept; the rest streams through and is dropped.
            let peak = try #require(serve.memory("VmHWM"))
            #expect(peak - baseline < 40 << 20, "peak resident memory grew by \((peak - baseline) >> 20) MiB")
            #expect(try await serve.stop() == 0)

            let rows = try await ServeProcess.rows(ledger: "sqlite:\(directory)/ledger.sqlite")
            #expect(rows.map(\.requestID) == ["huge"])
            #expect(rows.first?.outcome == "skipped")
            #expect(rows.first?.reason == "response_too_large")
            try await legacy.shutdown()
            try await candidate.shutdown()
            try await loops.shutdownGracefully()
        }

        @Test("a candidate trickling its answer a byte at a time is cut at mirror.timeout")
        func tricklesBytes() async throws {
            let route = "GET /fault/candidate-trickle"
            let answer = ScriptedResponse(body: Self.legacyBody)
            try await self.run(
                .trickle(answer, bytesPerWrite: 1, interval: .milliseconds(20)), path: "/fault/candidate-trickle",
                configure: { $0.mirror.timeout = .milliseconds(400) }
            ) { _, rows, _, after in
                // The bytes keep coming (no read timeout fires), but the call as a whole is bounded.
                #expect(rows.allSatisfy { $0.outcome == "candidate_timeout" })
                #expect(after.value("tapcompare_candidate_timeouts_total", ["route": route]) == 2)
            }
        }
    }
}
