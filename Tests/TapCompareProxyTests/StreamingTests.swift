import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOConcurrencyHelpers
import Testing
import TapCompareProxy
import TapCompareTestSupport

/// Bodies stream through the proxy: memory does not grow with their size.
///
/// The size defaults to 1 GiB each way; `TAPCOMPARE_STREAM_MIB` changes it. Memory is the process's resident
/// set sampled during the transfer (client, proxy and upstream all live in this process, and all stream).
@Suite("Streaming with bounded memory", .timeLimit(.minutes(3)), .serialized)
struct StreamingTests {
    static let size: Int = {
        let mib = ProcessInfo.processInfo.environment["TAPCOMPARE_STREAM_MIB"].flatMap(Int.init) ?? 1024
        return mib << 20
    }()
    /// Resident memory may grow by this much at most, whatever the body size (buffers, allocator slack).
    static let allowedGrowth = 96 << 20

    /// Samples resident memory until cancelled; returns the peak.
    final class PeakMemory: Sendable {
        let peak = NIOLockedValueBox(0)
        func run() async {
            while !Task.isCancelled {
                if let rss = residentMemoryBytes() { self.peak.withLockedValue { $0 = max($0, rss) } }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    static func measure(_ body: () async throws -> Void) async throws -> Int {
        let before = residentMemoryBytes() ?? 0
        let sampler = PeakMemory()
        let task = Task { await sampler.run() }
        try await body()
        task.cancel()
        await task.value
        return sampler.peak.withLockedValue { $0 } - before
    }

    @Test("a large download passes with memory that does not grow with its size")
    func download() async throws {
        let legacy = try await ScriptedUpstream { _ in .huge(bytes: Self.size) }
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            let before = residentMemoryBytes() ?? 0
            let sampler = PeakMemory()
            let sampling = Task { await sampler.run() }
            let response = try await proxy.client.execute(HTTPClientRequest(url: proxy.url + "/download"), timeout: .minutes(3))
            #expect(response.status == .ok)
            #expect(response.headers["Content-Length"] == [String(Self.size)])
            var received = 0
            var checksum = StreamChecksum()
            for try await part in response.body {
                received += part.readableBytes
                checksum.add(part)
            }
            sampling.cancel()
            await sampling.value
            let growth = sampler.peak.withLockedValue { $0 } - before
            #expect(received == Self.size)
            #expect(checksum.value == StreamChecksum.pattern(count: Self.size))
            #expect(growth < Self.allowedGrowth, "resident memory grew by \(growth >> 20) MiB for \(Self.size >> 20) MiB")
        }
    }

    @Test("a large upload passes with memory that does not grow with its size")
    func upload() async throws {
        let legacy = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: "stored")) }
        defer { Task { try await legacy.shutdown() } }
        try await ProxyHarness.with(legacy: legacy.url) { proxy in
            let growth = try await Self.measure {
                var request = HTTPClientRequest(url: proxy.url + "/upload")
                request.method = .PUT
                request.body = .stream(PatternBody(total: Self.size), length: .known(Int64(Self.size)))
                let response = try await proxy.client.execute(request, timeout: .minutes(3))
                #expect(response.status == .ok)
                _ = try await response.body.collect(upTo: 1024)
            }
            let received = try #require(legacy.requests.last)
            #expect(received.bodyLength == Self.size)
            #expect(received.bodyChecksum == StreamChecksum.pattern(count: Self.size))
            #expect(growth < Self.allowedGrowth, "resident memory grew by \(growth >> 20) MiB for \(Self.size >> 20) MiB")
        }
    }
}
