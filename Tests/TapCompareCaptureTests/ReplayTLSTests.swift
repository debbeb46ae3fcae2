import Foundation
import TapCompareCapture
import TapCompareCore
import TapCompareMirroring
import TapCompareTestSupport
import Testing

/// `tapcompare replay` against an `https` candidate, with the same TLS settings as `serve`.
@Suite(.timeLimit(.minutes(TestTiming.minutes(1)))) struct ReplayTLSTests {
    static func replay(candidate: ReplayTarget) async throws -> [ComparisonRecord] {
        let records = try CaptureFile.read(path: ReplayTests.fixture).filter { $0.request.method == "GET" }.prefix(5)
        // A handshake is part of connecting: under a sanitizer it can take longer than the 2 s default.
        let configuration = ReplayConfiguration(candidate: candidate, concurrency: 2, runID: "tls-run").withTestTimeouts()
        let sink = RecordingSink()
        let replayer = Replayer(configuration: configuration, comparator: ByteComparator(), sink: sink)
        _ = await replayer.run(try ReplayTests.items(Array(records), configuration))
        return sink.all
    }

    @Test func anHTTPSCandidateIsReplayedWithItsCAFileAndRefusedWithoutIt() async throws {
        let certificates = try await TestCertificates()
        let otherCA = try await TestCertificates(commonName: "Some other CA")
        defer { certificates.remove(); otherCA.remove() }
        let upstream = try await ScriptedUpstream(tls: try certificates.makeServerContext()) { _ in
            .respond(ScriptedResponse(headers: [("Content-Type", "application/json")], body: "{}"))
        }
        defer { Task { try await upstream.shutdown() } }

        var trusted = try ReplayTarget(parsing: upstream.url, flag: "--candidate")
        trusted.tls = UpstreamTLS(caFile: certificates.caFile)
        let answered = try await Self.replay(candidate: trusted)
        #expect(answered.count == 5)
        #expect(answered.allSatisfy { $0.outcome != .candidateError && $0.candidateStatus == 200 })
        #expect(upstream.requests.count == 5)

        var untrusted = trusted
        untrusted.tls = UpstreamTLS(caFile: otherCA.caFile)
        let refused = try await Self.replay(candidate: untrusted)
        #expect(refused.count == 5)
        #expect(refused.allSatisfy { $0.outcome == .candidateError && ($0.reason ?? "").hasPrefix("TLS handshake failed") })
        #expect(upstream.requests.count == 5)

        var insecure = trusted
        insecure.tls = UpstreamTLS(insecure: true)
        let accepted = try await Self.replay(candidate: insecure)
        #expect(accepted.allSatisfy { $0.candidateStatus == 200 })
        #expect(upstream.requests.count == 10)
    }
}
