import Foundation
import TapCompareCapture
import TapCompareCore
import TapCompareGRPC
import TapCompareTestSupport
import Testing

/// A gRPC write that a route opts in to mirroring (`mirror_writes: true`) is still a write when replayed: skipped
/// without `--include-writes`, sent with the shadow header `serve` puts on it, and never sent twice to a live legacy
/// by `--baseline`. Before the fix the opted-in call counted as a read: sent without `--include-writes`, without the
/// header, and twice to legacy.
@Suite("Replay of opted-in gRPC writes", .timeLimit(.minutes(TestTiming.minutes(1))))
struct ReplayGRPCWriteTests {
    static let create = "/pkg.Svc/Create"
    static let get = "/pkg.Svc/Get"
    /// What `--config` gives: `Get` named by `grpc.read_methods`, `Create` opted in by a route's `mirror_writes`.
    static let policy = GRPCMethodPolicy(readMethods: [try! GRPCMethodPattern(parsing: get)], optedIn: [create])

    /// A captured unary call to `path`: one framed message each way, `grpc-status` 0.
    static func record(_ path: String, index: Int) -> CaptureRecord {
        let grpc = [CaptureRecord.Header("content-type", "application/grpc")]
        let requestBody = HTTP2TestServer.frame(ProtobufWriter().varint(1, Int64(index + 1)).bytes)
        let answer = HTTP2TestServer.frame(ProtobufWriter().string(1, "ok").bytes)
        return CaptureRecord(
            id: "0190c8a4-1f00-7000-8000-00000000000\(index)", requestID: "req-\(index)", route: path,
            startedAt: "2026-11-20T14:00:00.000Z",
            request: .init(
                method: "POST", uri: path, httpVersion: "2", headers: grpc,
                body: CaptureBody(encoding: .base64, data: Data(requestBody).base64EncodedString()), bodyLength: requestBody.count
            ),
            legacy: .init(
                status: 200, httpVersion: "2", headers: grpc,
                body: CaptureBody(encoding: .base64, data: Data(answer).base64EncodedString()), bodyLength: answer.count,
                latencyMS: 1, trailers: [.init("grpc-status", "0")]
            ),
            candidate: nil
        )
    }

    static func server() async throws -> HTTP2TestServer {
        try await HTTP2TestServer { _, _ in HTTP2TestServer.grpc([ProtobufWriter().string(1, "ok").bytes]) }
    }

    /// Replays one `Create` and one `Get` against `candidate`; returns the summary once every call has answered.
    static func replay(candidate: HTTP2TestServer, configure: (inout ReplayConfiguration) throws -> Void) async throws -> ReplaySummary {
        var configuration = ReplayConfiguration(
            candidate: try ReplayTarget(parsing: "h2c://127.0.0.1:\(candidate.port)", flag: "--candidate"), concurrency: 1, runID: "w"
        ).withTestTimeouts()
        configuration.grpcMethods = Self.policy
        try configure(&configuration)
        let replayer = Replayer(configuration: configuration, comparator: try ReplayComparators.make(rulesDirectory: nil))
        let records = [Self.record(Self.create, index: 0), Self.record(Self.get, index: 1)]
        return await replayer.run(try replayer.prepare(records.enumerated().map { ($0.element, "w.jsonl", $0.offset + 1) }))
    }

    /// Every value of `name` the server received on calls to `path`, call by call.
    static func values(_ name: String, on path: String, in server: HTTP2TestServer) -> [[String]] {
        server.requests.filter { $0.header(":path") == path }.map { $0.headers.filter { $0.name == name }.map(\.value) }
    }

    @Test("without --include-writes the opted-in write is skipped as unsafe_method and nothing of it is sent")
    func skippedWithoutIncludeWrites() async throws {
        let candidate = try await Self.server()
        let summary = try await Self.replay(candidate: candidate) { _ in }
        #expect(summary.skipped == [SkipReason.unsafeMethod.rawValue: 1])
        #expect(summary.responsesReceived == 1)
        #expect(Self.values("x-tap-compare", on: Self.create, in: candidate).isEmpty)
        // The read still goes, without the shadow header.
        #expect(Self.values("x-tap-compare", on: Self.get, in: candidate) == [[]])
        try await candidate.shutdown()
    }

    @Test("with --include-writes the write carries the shadow header once, as serve sends it; reads do not")
    func sentWithTheShadowHeader() async throws {
        let candidate = try await Self.server()
        let summary = try await Self.replay(candidate: candidate) { $0.includeWrites = true }
        #expect(summary.skipped.isEmpty)
        #expect(summary.responsesReceived == 2)
        #expect(Self.values("x-tap-compare", on: Self.create, in: candidate) == [["shadow"]])
        #expect(Self.values("x-tap-compare", on: Self.get, in: candidate) == [[]])

        // `--config`'s `mirror.shadow_header`, one value even when `--header` sets the same name.
        let renamed = try await Self.server()
        _ = try await Self.replay(candidate: renamed) {
            $0.includeWrites = true
            $0.shadowHeader.name = "X-Shadow"
            $0.headerOverrides = [("x-shadow", "client-value")]
        }
        #expect(Self.values("x-shadow", on: Self.create, in: renamed) == [["shadow"]])
        try await candidate.shutdown()
        try await renamed.shutdown()
    }

    @Test("--baseline sends a read to legacy twice and the opted-in write once, as an HTTP write with --include-writes")
    func baselineNeverResendsTheWrite() async throws {
        let candidate = try await Self.server()
        let legacy = try await Self.server()
        let summary = try await Self.replay(candidate: candidate) {
            $0.includeWrites = true
            $0.baseline = true
            $0.legacy = try ReplayTarget(parsing: "h2c://127.0.0.1:\(legacy.port)", flag: "--legacy")
        }
        #expect(summary.responsesReceived == 2)
        #expect(Self.values("x-tap-compare", on: Self.create, in: legacy) == [["shadow"]])
        #expect(Self.values("x-tap-compare", on: Self.get, in: legacy) == [[], []])
        #expect(Self.values("x-tap-compare", on: Self.create, in: candidate) == [["shadow"]])
        try await candidate.shutdown()
        try await legacy.shutdown()
    }
}
