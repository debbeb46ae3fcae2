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

    @Test("h2c:// is HTTP/2 without TLS (scheme http, port 80 by default); http and https speak HTTP/1.1 unless told")
    func h2c() throws {
        let url = try UpstreamURL(parsing: "h2c://127.0.0.1:9000/base")
        #expect(url.httpVersion == .http2)
        #expect(!url.usesTLS)
        #expect(url.scheme == "http")
        #expect(url.port == 9000)
        #expect(url.description == "h2c://127.0.0.1:9000/base")
        #expect(try UpstreamURL(parsing: "h2c://legacy").port == 80)
        #expect(try UpstreamURL(parsing: "http://legacy").httpVersion == .http1)
        var https = try UpstreamURL(parsing: "https://legacy:8443")
        #expect(https.httpVersion == .http1)
        https.httpVersion = .http2
        #expect(https.description == "https://legacy:8443 (http2)")
        #expect(throws: UpstreamURLError.self) { try UpstreamURL(parsing: "h2://legacy") }
    }
}
