import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TapCompareTestSupport
import Testing

/// Bodies stream through the proxy: its memory does not grow with their size.
///
/// The proxy is the built `tapcompare serve` in a child process, so the resident set measured is the proxy's
/// alone: the client and the upstream in this process, and every other suite running beside this one, do not
/// count. The size defaults to 1 GiB each way; `TAPCOMPARE_STREAM_MIB` changes it.
@Suite("Streaming with bounded memory", .timeLimit(.minutes(TestTiming.minutes(3))), .serialized)
struct StreamingMemoryTests {
    static let size: Int = {
        let mib = ProcessInfo.processInfo.environment["TAPCOMPARE_STREAM_MIB"].flatMap(Int.init) ?? 1024
        return mib << 20
    }()
    /// The proxy's resident set may grow by this much at most, whatever the body size: socket and channel
    /// buffers, allocator arenas of the threads that touch the body.
    static let allowedGrowth = 16 << 20

    /// Starts `tapcompare serve` in front of `legacy`, sends one small request so pools and caches exist, then
    /// runs `transfer`; returns the peak resident set during it (the kernel's `VmHWM`, started over just before)
    /// less the resident set before it.
    static func growth(legacy: ScriptedUpstream, _ transfer: (String) async throws -> Void) async throws -> Int {
        let directory = try ServeHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let serve = try await ServeProcess.start(yaml: """
            legacy: \(legacy.url)
            ledger:
              url: sqlite:\(directory)/ledger.sqlite

            """, directory: directory)
        defer { serve.terminate() }
        let url = "http://127.0.0.1:\(serve.proxyPort)"
        let warm = try await HTTPClient.shared.execute(HTTPClientRequest(url: url + "/warm"), timeout: .seconds(10))
        _ = try await warm.body.collect(upTo: 1 << 20)
        try serve.resetPeakMemory()
        let before = try #require(serve.memory("VmRSS"))
        try await transfer(url)
        #expect(serve.isRunning)
        return try #require(serve.memory("VmHWM")) - before
    }

    @Test("a large download passes with proxy memory that does not grow with its size")
    func download() async throws {
        let legacy = try await ScriptedUpstream { request in
            request.uri == "/warm" ? .respond(ScriptedResponse(body: "ok")) : .huge(bytes: Self.size)
        }
        defer { Task { try await legacy.shutdown() } }
        let growth = try await Self.growth(legacy: legacy) { url in
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url + "/download"), timeout: .minutes(3))
            #expect(response.status == .ok)
            #expect(response.headers["Content-Length"] == [String(Self.size)])
            var received = 0
            var checksum = StreamChecksum()
            for try await part in response.body {
                received += part.readableBytes
                checksum.add(part)
            }
            #expect(received == Self.size)
            #expect(checksum.value == StreamChecksum.pattern(count: Self.size))
        }
        #expect(growth < Self.allowedGrowth, "the proxy's resident memory grew by \(growth >> 20) MiB for \(Self.size >> 20) MiB")
    }

    @Test("a large upload passes with proxy memory that does not grow with its size")
    func upload() async throws {
        let legacy = try await ScriptedUpstream { _ in .respond(ScriptedResponse(body: "stored")) }
        defer { Task { try await legacy.shutdown() } }
        let growth = try await Self.growth(legacy: legacy) { url in
            var request = HTTPClientRequest(url: url + "/upload")
            request.method = .PUT
            request.body = .stream(PatternBody(total: Self.size), length: .known(Int64(Self.size)))
            let response = try await HTTPClient.shared.execute(request, timeout: .minutes(3))
            #expect(response.status == .ok)
            _ = try await response.body.collect(upTo: 1024)
        }
        let received = try #require(legacy.requests.last)
        #expect(received.bodyLength == Self.size)
        #expect(received.bodyChecksum == StreamChecksum.pattern(count: Self.size))
        #expect(growth < Self.allowedGrowth, "the proxy's resident memory grew by \(growth >> 20) MiB for \(Self.size >> 20) MiB")
    }
}
