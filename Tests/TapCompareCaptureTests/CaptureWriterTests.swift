import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
@testable import TapCompareCapture
import TapCompareCore
import TapCompareLedger
import TapCompareTestSupport
import Testing

@Suite struct CaptureWriterTests {
    static func exchange(_ n: Int, bodySize: Int = 100) -> Exchange {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer sk_live_secret")
        headers.add(name: "cookie", value: "session=s3cr3t")
        headers.add(name: "X-Api-Key", value: "key-123")
        headers.add(name: "Accept", value: "application/json")
        var legacyHeaders = HTTPHeaders()
        legacyHeaders.add(name: "Set-Cookie", value: "session=new")
        legacyHeaders.add(name: "Content-Type", value: "application/json")
        let body = "{\"id\":\(n),\"author\":{\"email\":\"ada@example.com\",\"name\":\"Ada\"},\"pad\":\"\(String(repeating: "x", count: bodySize))\"}"
        let legacy = ResponseSnapshot(status: .ok, headers: legacyHeaders, body: ByteBuffer(string: body))
        return Exchange(
            requestID: "req-\(n)",
            route: "GET /api/v1/comments/{id}",
            request: RequestSnapshot(method: .GET, uri: "/api/v1/comments/\(n)?token=tok-secret&page=2", headers: headers),
            legacy: legacy,
            legacyLatency: .milliseconds(5),
            candidate: .response(legacy, latency: .milliseconds(3))
        )
    }

    /// Runs a writer over the exchanges, then shuts it down and returns it.
    static func runWriter(_ configuration: CaptureConfiguration, _ exchanges: [Exchange]) async throws -> CaptureWriter {
        let writer = try CaptureWriter(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await writer.run() }
            for e in exchanges { writer.submit(e) }
            try await eventually("every exchange was written or counted as dropped or skipped") {
                writer.writtenCount + writer.droppedCount(.queueFull) + writer.skippedCount(.legacyError) >= exchanges.count
            }
            group.cancelAll()
        }
        return writer
    }

    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func redactsSensitiveHeadersAndConfiguredFieldsBeforeWriting() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let path = dir.appendingPathComponent("traffic.jsonl").path
        let configuration = CaptureConfiguration(
            path: path,
            redaction: RedactionConfiguration(headers: ["X-Api-Key"], jsonPaths: ["$..email"], queryParameters: ["token"])
        )
        _ = try await Self.runWriter(configuration, [Self.exchange(1)])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for secret in ["sk_live_secret", "s3cr3t", "key-123", "session=new", "ada@example.com", "tok-secret"] {
            #expect(!text.contains(secret), "\(secret) leaked into the capture")
        }
        let record = try #require(try CaptureFile.read(path: path).first)
        #expect(record.request.headers.first { $0.name == "Authorization" }?.value == "[REDACTED]")
        #expect(record.request.headers.first { $0.name == "Accept" }?.value == "application/json")
        #expect(record.request.uri == "/api/v1/comments/1?token=[REDACTED]&page=2")
        let body = try #require(record.legacy.body?.data)
        #expect(body.hasPrefix("{\"id\":1,\"author\":{\"email\":\"[REDACTED]\",\"name\":\"Ada\"}"))
        #expect(record.legacy.bodyLength == body.utf8.count)
        #expect(record.candidate?.response?.headers.first { $0.name == "Set-Cookie" }?.value == "[REDACTED]")
    }

    /// Found in review: `redact.headers: [X-Request-Id]` replaced the header's value in the capture but kept its copy
    /// in `request_id`, so a token sent as a request id was stored in clear.
    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func aRedactedRequestIDHeaderRedactsTheStoredRequestIDToo() async throws {
        let dir = try TestPaths.temporaryDirectory()
        var sent = Self.exchange(1)
        sent.requestID = "sess-7f3c-secret"
        sent.request.headers.add(name: "X-Request-Id", value: "sess-7f3c-secret")
        let path = dir.appendingPathComponent("redacted.jsonl").path
        _ = try await Self.runWriter(CaptureConfiguration(path: path, redaction: RedactionConfiguration(headers: ["x-request-id"])), [sent])
        #expect(!(try String(contentsOfFile: path, encoding: .utf8)).contains("sess-7f3c-secret"))
        let record = try #require(try CaptureFile.read(path: path).first)
        #expect(record.requestID == Redactor.marker, "replaced as the header is")
        #expect(record.request.headers.first { $0.name == "X-Request-Id" }?.value == Redactor.marker)

        // An id the proxy generated travels in `request_id_header` too (here a header of the user's naming).
        var generated = Self.exchange(2)
        generated.requestID = "corr-0042"
        let correlation = dir.appendingPathComponent("correlation.jsonl").path
        let redaction = RedactionConfiguration(headers: ["X-Correlation-Id"], requestIDHeader: "X-Correlation-Id")
        _ = try await Self.runWriter(CaptureConfiguration(path: correlation, redaction: redaction), [generated])
        #expect(try CaptureFile.read(path: correlation).map(\.requestID) == [Redactor.marker])

        // Not redacted: the id is kept, the one a reviewer searches by.
        let kept = dir.appendingPathComponent("kept.jsonl").path
        _ = try await Self.runWriter(CaptureConfiguration(path: kept), [sent])
        #expect(try CaptureFile.read(path: kept).map(\.requestID) == ["sess-7f3c-secret"])
    }

    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func rotatesByteLimitedFilesAndKeepsMaxFiles() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let path = dir.appendingPathComponent("traffic.jsonl").path
        let configuration = CaptureConfiguration(path: path, maxFileBytes: 4_000, maxFiles: 3)
        let exchanges = (0..<40).map { Self.exchange($0, bodySize: 300) }
        let writer = try await Self.runWriter(configuration, exchanges)
        #expect(writer.writtenCount == 40)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(files == ["traffic.jsonl", "traffic.jsonl.1", "traffic.jsonl.2"])
        var ids: [String] = []
        for name in ["traffic.jsonl.2", "traffic.jsonl.1", "traffic.jsonl"] {
            let file = dir.appendingPathComponent(name).path
            let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as! Int
            #expect(size <= 4_000)
            ids += try CaptureFile.read(path: file).map(\.requestID)
        }
        // The newest lines survive, in order, none split or duplicated.
        #expect(ids == (40 - ids.count..<40).map { "req-\($0)" })
    }

    /// A disk that fills up: while full, a write takes half of what it is given and fails, as `write(2)` does with
    /// `ENOSPC` once the space runs out part way.
    final class FillingDisk: Sendable {
        private let full = Atomic<Bool>(false)
        func fill() { self.full.store(true, ordering: .relaxed) }
        func free() { self.full.store(false, ordering: .relaxed) }

        func write(_ handle: FileHandle, _ data: Data) throws {
            guard self.full.load(ordering: .relaxed) else { return try handle.write(contentsOf: data) }
            try handle.write(contentsOf: data.prefix(data.count / 2))
            throw POSIXError(.ENOSPC)
        }
    }

    /// Found in review: a write that failed part way left the part of the record that fit, the next batch was
    /// appended after it, and `replay` refused the whole file at that line.
    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func aDiskFullMidWriteLeavesWholeLinesOnlyAndCountsTheLostExchange() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let path = dir.appendingPathComponent("traffic.jsonl").path
        let disk = FillingDisk()
        let writer = try CaptureWriter(configuration: CaptureConfiguration(path: path), writeBytes: disk.write)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await writer.run() }
            writer.submit(Self.exchange(1))
            try await eventually("the first exchange is written") { writer.writtenCount == 1 }
            disk.fill()
            writer.submit(Self.exchange(2))
            try await eventually("the exchange the full disk took half of is counted as dropped") { writer.droppedCount(.writeError) == 1 }
            disk.free()
            writer.submit(Self.exchange(3))
            try await eventually("the next exchange is written") { writer.writtenCount == 2 }
            group.cancelAll()
        }
        #expect(writer.droppedCount(.writeError) == 1)
        #expect(try CaptureFile.read(path: path).map(\.requestID) == ["req-1", "req-3"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).last == UInt8(ascii: "\n"))
    }

    /// A crash mid-write leaves part of a record at the end of the file; the writer started again appended after it,
    /// and the damaged line, no longer the last, made `replay` refuse the file.
    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func aRecordACrashCutShortIsCutOffBeforeTheWriterAppends() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let path = dir.appendingPathComponent("traffic.jsonl").path
        let codec = CaptureCodec()
        var before = try codec.encode(CaptureRecord(Self.exchange(1)))
        before.append(UInt8(ascii: "\n"))
        before.append(try codec.encode(CaptureRecord(Self.exchange(2))).prefix(100))
        try before.write(to: URL(fileURLWithPath: path))
        _ = try await Self.runWriter(CaptureConfiguration(path: path), [Self.exchange(3)])
        #expect(try CaptureFile.read(path: path).map(\.requestID) == ["req-1", "req-3"])
    }

    @Test func rotationPolicyNeverSplitsOrLosesALine() {
        let policy = CaptureRotationPolicy(maxFileBytes: 100, maxFiles: 3)
        #expect(policy.action(currentSize: 0, lineSize: 500) == .append)
        #expect(policy.action(currentSize: 60, lineSize: 40) == .append)
        #expect(policy.action(currentSize: 60, lineSize: 41) == .rotateThenAppend)
        let plan = policy.rotation(path: "t.jsonl")
        #expect(plan.delete == "t.jsonl.2")
        #expect(plan.renames.map { "\($0.from)>\($0.to)" } == ["t.jsonl.1>t.jsonl.2", "t.jsonl>t.jsonl.1"])
        #expect(CaptureRotationPolicy(maxFileBytes: 1, maxFiles: 1).rotation(path: "t").delete == "t")
    }

    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func aFullQueueDropsAndCountsWithoutBlocking() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let configuration = CaptureConfiguration(path: dir.appendingPathComponent("t.jsonl").path, queueCapacity: 8)
        // Not running: nothing drains the queue, so the 9th exchange on is dropped at once.
        let writer = try CaptureWriter(configuration: configuration)
        for n in 0..<20 { writer.submit(Self.exchange(n)) }
        #expect(writer.droppedCount(.queueFull) == 12)
    }

    /// An exchange legacy never answered has the proxy's own 502 as its legacy side: replayed, it would compare
    /// the candidate against the proxy. It is left out and counted; a candidate skipped for any other reason is not.
    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func exchangesLegacyNeverAnsweredAreCountedNotWritten() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let path = dir.appendingPathComponent("t.jsonl").path
        var failed = Self.exchange(2)
        failed.legacy = ResponseSnapshot(status: .badGateway, version: .http2, headers: ["content-type": "text/plain"], body: ByteBuffer(string: "legacy: connect_timeout"))
        failed.candidate = .skipped(.legacyError)
        var notMirrored = Self.exchange(3)
        notMirrored.candidate = .skipped(.notSampled)
        let writer = try await Self.runWriter(CaptureConfiguration(path: path), [Self.exchange(1), failed, notMirrored])
        #expect(writer.skippedCount(.legacyError) == 1)
        #expect(writer.writtenCount == 2)
        #expect(try CaptureFile.read(path: path).map(\.requestID) == ["req-1", "req-3"])
    }

    @Test func sampleRateZeroWritesNothingAndOneWritesAll() throws {
        let dir = try TestPaths.temporaryDirectory()
        let off = try CaptureWriter(configuration: CaptureConfiguration(path: dir.appendingPathComponent("a").path, sampleRate: 0))
        for n in 0..<10 { off.submit(Self.exchange(n)) }
        #expect(off.sampledOutCount == 10)
        #expect(throws: CaptureError.self) {
            try CaptureWriter(configuration: CaptureConfiguration(path: "x", sampleRate: 1.5))
        }
        #expect(throws: CaptureError.self) {
            try CaptureWriter(configuration: CaptureConfiguration(path: "x", redaction: RedactionConfiguration(jsonPaths: ["author.email"])))
        }
    }
}
