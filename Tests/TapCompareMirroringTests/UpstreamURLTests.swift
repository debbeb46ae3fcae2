import TapCompareMirroring
import Testing

@Suite("Upstream URLs")
struct UpstreamURLTests {
    @Test("upstream URLs: host, port, base path; junk refused with the reason")
    func upstreamURL() throws {
        let url = try UpstreamURL(parsing: "http://127.0.0.1:8081/base/")
        #expect(url.host == "127.0.0.1")
        #expect(url.port == 8081)
        #expect(url.basePath == "/base")
        #expect(url.hostHeader == "127.0.0.1:8081")
        #expect(url.target(for: "/x?y=1") == "/base/x?y=1")
        let plain = try UpstreamURL(parsing: "http://legacy")
        #expect(plain.port == 80)
        #expect(plain.hostHeader == "legacy")
        #expect(try UpstreamURL(parsing: "https://legacy").port == 443)
        #expect(throws: UpstreamURLError.self) { try UpstreamURL(parsing: "ftp://legacy") }
        #expect(throws: UpstreamURLError.self) { try UpstreamURL(parsing: "legacy:80") }
        #expect(throws: UpstreamURLError.self) { try UpstreamURL(parsing: "http://legacy:99999") }
        #expect(throws: UpstreamURLError.self) { try UpstreamURL(parsing: "http://:80") }
    }
}
