import NIOHTTP1
import Testing
import TapCompareCore
@testable import TapCompareProxy

@Suite("Header rewriting")
struct HeaderTests {
    @Test("hop-by-hop headers and those named by Connection are removed; end-to-end headers stay in order")
    func hopByHop() {
        var headers = HTTPHeaders([
            ("Accept", "application/json"), ("Connection", "keep-alive, X-Private"), ("X-Private", "1"),
            ("Keep-Alive", "timeout=5"), ("TE", "trailers"), ("Transfer-Encoding", "chunked"), ("Upgrade", "h2c"),
            ("Trailer", "X-Sum"), ("Proxy-Authorization", "Basic Zm9v"), ("Proxy-Connection", "keep-alive"),
            ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Proxy-Authenticate", "Basic"),
        ])
        HopByHopHeaders.strip(&headers)
        #expect(headers.map { "\($0.name): \($0.value)" } == ["Accept: application/json", "Set-Cookie: a=1", "Set-Cookie: b=2"])
    }

    @Test("Connection lists: every element named, any case, spaces and empty elements ignored, across several fields")
    func connectionLists() {
        var headers = HTTPHeaders([
            ("connection", " close ,, x-a\t"), ("X-A", "1"), ("Content-Type", "application/json"), ("CONNECTION", "X-B,Keep-Alive,  "),
            ("x-b", "2"), ("X-Ab", "kept: only whole names match"), ("Connection", "naïve"), ("close", "named by the first list"),
        ])
        HopByHopHeaders.strip(&headers)
        #expect(headers.map { "\($0.name): \($0.value)" } == ["Content-Type: application/json", "X-Ab: kept: only whole names match"])
    }

    @Test("the fixed hop-by-hop names match in any case, and nothing else does")
    func fixedNames() {
        for name in HopByHopHeaders.fixed {
            #expect(HopByHopHeaders.isFixed(name))
            #expect(HopByHopHeaders.isFixed(name.uppercased()))
            #expect(HopByHopHeaders.isFixed((name.prefix(1).uppercased() + name.dropFirst())[...]))
            #expect(!HopByHopHeaders.isFixed(name + "s"))
            #expect(!HopByHopHeaders.isFixed(String(name.dropLast())))
        }
        for name in ["Content-Type", "Content-Length", "Date", "X-Te", "Upgradee", "trailers", "connectio", "keep_alive", "Proxy-Authorisation"] {
            #expect(!HopByHopHeaders.isFixed(name))
        }
    }

    @Test("headers without hop-by-hop entries are left untouched")
    func nothingToStrip() {
        var headers = HTTPHeaders([("Content-Type", "text/plain"), ("Cache-Control", "no-cache")])
        #expect(!HopByHopHeaders.containsAny(headers))
        HopByHopHeaders.strip(&headers)
        #expect(headers.count == 2)
    }

    @Test("Host rewritten; the proxy is the edge by default: forwarded headers set, the client's replaced; request id added only when absent")
    func forwarded() {
        var headers = HTTPHeaders([
            ("Host", "public.example"), ("X-Forwarded-For", "10.0.0.1"), ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", "evil.example"), ("Forwarded", "for=10.0.0.1;proto=https"),
        ])
        ForwardedHeaders.rewrite(
            &headers, upstreamHost: "legacy:8080", preserveHost: false, clientAddress: "127.0.0.1", proto: "http",
            trustClientHeaders: false, requestIDHeader: "X-Request-Id", requestID: "abc", requestIDWasSent: false
        )
        #expect(headers["Host"] == ["legacy:8080"])
        #expect(headers["X-Forwarded-For"] == ["127.0.0.1"])
        #expect(headers["X-Forwarded-Proto"] == ["http"])
        #expect(headers["X-Forwarded-Host"] == ["public.example"])
        #expect(headers["Forwarded"].isEmpty)
        #expect(headers["X-Request-Id"] == ["abc"])

        var preserved = HTTPHeaders([("Host", "public.example"), ("X-Request-Id", "given"), ("X-Forwarded-For", "6.6.6.6")])
        ForwardedHeaders.rewrite(
            &preserved, upstreamHost: "legacy:8080", preserveHost: true, clientAddress: nil, proto: "http",
            trustClientHeaders: false, requestIDHeader: "X-Request-Id", requestID: "abc", requestIDWasSent: true
        )
        #expect(preserved["Host"] == ["public.example"])
        #expect(preserved["X-Request-Id"] == ["given"])
        #expect(preserved["X-Forwarded-For"].isEmpty)
    }

    @Test("forwarded.trust_client_headers: true appends to a trusted proxy's X-Forwarded-For; X-Forwarded-Proto stays one value")
    func forwardedFromATrustedProxy() {
        var headers = HTTPHeaders([
            ("Host", "public.example"), ("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-For", "10.0.0.1"),
            ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "www.example"),
        ])
        ForwardedHeaders.rewrite(
            &headers, upstreamHost: "legacy:8080", preserveHost: false, clientAddress: "127.0.0.1", proto: "http",
            trustClientHeaders: true, requestIDHeader: "X-Request-Id", requestID: "abc", requestIDWasSent: false
        )
        #expect(headers["X-Forwarded-For"] == ["203.0.113.9, 10.0.0.1, 127.0.0.1"])
        #expect(headers["X-Forwarded-Proto"] == ["https"])
        #expect(headers["X-Forwarded-Host"] == ["www.example"])

        var direct = HTTPHeaders([("Host", "public.example")])
        ForwardedHeaders.rewrite(
            &direct, upstreamHost: "legacy:8080", preserveHost: false, clientAddress: "127.0.0.1", proto: "https",
            trustClientHeaders: true, requestIDHeader: "X-Request-Id", requestID: "abc", requestIDWasSent: false
        )
        #expect(direct["X-Forwarded-For"] == ["127.0.0.1"])
        #expect(direct["X-Forwarded-Proto"] == ["https"])
        #expect(direct["X-Forwarded-Host"] == ["public.example"])
    }
}
