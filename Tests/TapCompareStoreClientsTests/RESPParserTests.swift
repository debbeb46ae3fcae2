import NIOCore
import TapCompareStoreClients
import Testing

@Suite("RESP parser")
struct RESPParserTests {
    static func parseWhole(_ text: String, limits: RESPParser.Limits = .init()) throws -> RESPValue? {
        var buffer = ByteBuffer(string: text)
        let value = try RESPParser(limits: limits).parse(&buffer)
        #expect(buffer.readableBytes == 0 || value == nil)
        return value
    }

    static func bulk(_ text: String) -> RESPValue { .bulkString(ByteBuffer(string: text)) }

    @Test("RESP2 replies: simple, error, integer, bulk, null bulk, array, null array")
    func resp2() throws {
        #expect(try Self.parseWhole("+OK\r\n") == .simpleString("OK"))
        #expect(try Self.parseWhole("-WRONGTYPE Operation against a key\r\n") == .error("WRONGTYPE Operation against a key"))
        #expect(try Self.parseWhole(":-42\r\n") == .integer(-42))
        #expect(try Self.parseWhole("$5\r\nhe\r\no\r\n") == Self.bulk("he\r\no"), "bulk strings are binary-safe")
        #expect(try Self.parseWhole("$0\r\n\r\n") == Self.bulk(""))
        #expect(try Self.parseWhole("$-1\r\n") == .null)
        #expect(try Self.parseWhole("*-1\r\n") == .null)
        #expect(try Self.parseWhole("*3\r\n$1\r\na\r\n:1\r\n*1\r\n+x\r\n") == .array([Self.bulk("a"), .integer(1), .array([.simpleString("x")])]))
        #expect(try Self.parseWhole("*0\r\n") == .array([]))
    }

    @Test("RESP3 replies: null, boolean, double, big number, verbatim, map, set, blob error")
    func resp3() throws {
        #expect(try Self.parseWhole("_\r\n") == .null)
        #expect(try Self.parseWhole("#t\r\n") == .boolean(true))
        #expect(try Self.parseWhole("#f\r\n") == .boolean(false))
        #expect(try Self.parseWhole(",3.14159265358979323846\r\n") == .double("3.14159265358979323846"), "kept as text: no precision lost")
        #expect(try Self.parseWhole("(3492890328409238509324850943850943825024385\r\n") == .bigNumber("3492890328409238509324850943850943825024385"))
        #expect(try Self.parseWhole("=15\r\ntxt:Some string\r\n") == .verbatimString(format: "txt", text: ByteBuffer(string: "Some string")))
        #expect(try Self.parseWhole("%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n") == .map([(.simpleString("a"), .integer(1)), (.simpleString("b"), .integer(2))]))
        #expect(try Self.parseWhole("~2\r\n+x\r\n+y\r\n") == .set([.simpleString("x"), .simpleString("y")]))
        #expect(try Self.parseWhole("!9\r\nERR nope.\r\n") == .error("ERR nope."))
    }

    @Test("a reply split at every byte parses only once whole, to the same value, leaving the next reply")
    func incremental() throws {
        let text = "*2\r\n*2\r\n$15\r\n1700000000000-0\r\n*4\r\n$10\r\ncomment_id\r\n$2\r\n42\r\n$5\r\nscore\r\n$1\r\n5\r\n%1\r\n+k\r\n,1.5\r\n"
        let whole = try #require(try Self.parseWhole(text))
        let bytes = Array(text.utf8)
        for cut in 0..<bytes.count {
            var buffer = ByteBuffer(bytes: bytes[..<cut])
            #expect(try RESPParser().parse(&buffer) == nil, "cut at \(cut)")
            #expect(buffer.readableBytes == cut, "an incomplete reply leaves the buffer untouched")
            buffer.writeBytes(bytes[cut...])
            buffer.writeString("+next\r\n")
            #expect(try RESPParser().parse(&buffer) == whole)
            #expect(try RESPParser().parse(&buffer) == .simpleString("next"))
        }
    }

    @Test("announced sizes over the limits are refused before anything is allocated")
    func limits() throws {
        var limits = RESPParser.Limits()
        limits.maxBulkBytes = 10
        limits.maxElements = 3
        limits.maxDepth = 2
        limits.maxLineBytes = 8
        for text in ["$11\r\n", "$9223372036854775807\r\n", "*4\r\n", "%2\r\n", "*1\r\n*1\r\n*1\r\n*0\r\n", "+123456789", "-this line is long\r\n"] {
            #expect(throws: StoreClientError.self, "\(text.debugDescription)") { _ = try Self.parseWhole(text, limits: limits) }
        }
        #expect(try Self.parseWhole("$10\r\n0123456789\r\n", limits: limits) == Self.bulk("0123456789"))
    }

    @Test("counts a server announces near Int.max are refused, not wrapped: a map of 2^62 pairs used to trap the process")
    func hugeCounts() {
        for text in ["%4611686018427387904\r\n", "%9223372036854775807\r\n", "*9223372036854775807\r\n", "~4611686018427387904\r\n", "%50001\r\n"] {
            #expect(throws: StoreClientError.self, "\(text.debugDescription)") { _ = try Self.parseWhole(text) }
        }
    }

    @Test("a whole reply is bounded, not only each string in it: an incomplete reply over the limit is refused while it arrives")
    func wholeReplyLimit() throws {
        var limits = RESPParser.Limits()
        limits.maxReplyBytes = 64
        let element = "$10\r\n0123456789\r\n"  // 16 bytes
        #expect(try Self.parseWhole("*3\r\n" + String(repeating: element, count: 3), limits: limits) != nil, "52 bytes: within")
        #expect(throws: StoreClientError.self) { _ = try Self.parseWhole("*5\r\n" + String(repeating: element, count: 5), limits: limits) }
        // The same reply cut short: refused as soon as what is buffered passes the limit, not when it ends.
        #expect(throws: StoreClientError.self) { _ = try Self.parseWhole("*5\r\n" + String(repeating: element, count: 4), limits: limits) }
        #expect(try Self.parseWhole("*5\r\n" + String(repeating: element, count: 3), limits: limits) == nil, "52 bytes buffered: waits for more")
    }

    @Test("bytes that are not RESP are a protocol violation")
    func violations() {
        for text in ["?x\r\n", ":12a\r\n", "$3\r\nabcXY", "$-2\r\n", "#x\r\n", "_x\r\n", "+a\rb\r\n", "=3\r\ntxt\r\n"] {
            #expect(throws: StoreClientError.self, "\(text.debugDescription)") { _ = try Self.parseWhole(text) }
        }
    }
}

@Suite("memcached parser")
struct MemcachedParserTests {
    static func parse(_ text: String, limits: MemcachedParser.Limits = .init()) throws -> MemcachedResponse? {
        var buffer = ByteBuffer(string: text)
        return try MemcachedParser(limits: limits).parse(&buffer)
    }

    @Test("retrievals: none, one, several with flags and CAS; version and error lines")
    func replies() throws {
        #expect(try Self.parse("END\r\n") == .items([]))
        #expect(try Self.parse("VALUE k 7 5\r\nab\r\nc\r\nEND\r\n") == .items([MemcachedItem(key: "k", flags: 7, value: ByteBuffer(string: "ab\r\nc"))]))
        #expect(try Self.parse("VALUE a 0 1 99\r\n1\r\nVALUE b 0 0 100\r\n\r\nEND\r\n") == .items([
            MemcachedItem(key: "a", flags: 0, value: ByteBuffer(string: "1"), cas: 99),
            MemcachedItem(key: "b", flags: 0, value: ByteBuffer(), cas: 100),
        ]))
        #expect(try Self.parse("VERSION 1.6.18\r\n") == .version("1.6.18"))
        #expect(try Self.parse("ERROR\r\n") == .error("ERROR"))
        #expect(try Self.parse("SERVER_ERROR out of memory\r\n") == .error("SERVER_ERROR out of memory"))
    }

    @Test("a reply split at every byte parses only once whole")
    func incremental() throws {
        let text = "VALUE comment:1 0 17 5\r\n{\"id\":1,\"b\":\"hi\"}\r\nVALUE comment:2 3 2 6\r\n{}\r\nEND\r\n"
        let whole = try #require(try Self.parse(text))
        let bytes = Array(text.utf8)
        for cut in 0..<bytes.count {
            var buffer = ByteBuffer(bytes: bytes[..<cut])
            #expect(try MemcachedParser().parse(&buffer) == nil, "cut at \(cut)")
            #expect(buffer.readableBytes == cut)
            buffer.writeBytes(bytes[cut...])
            #expect(try MemcachedParser().parse(&buffer) == whole)
            #expect(buffer.readableBytes == 0)
        }
    }

    @Test("over the limits or off the protocol: refused")
    func refused() {
        var limits = MemcachedParser.Limits()
        limits.maxValueBytes = 4
        limits.maxItems = 1
        for text in ["VALUE k 0 5\r\n", "VALUE a 0 1\r\n1\r\nVALUE b 0 1\r\n2\r\nEND\r\n"] {
            #expect(throws: StoreClientError.self) { _ = try Self.parse(text, limits: limits) }
        }
        for text in ["VALUE k x 1\r\n1\r\nEND\r\n", "VALUE k 0 1\r\n1XYEND\r\n", "HELLO\r\n", "END\n", "VALUE k 0 1\r\n1\r\nVERSION 1\r\n"] {
            #expect(throws: StoreClientError.self, "\(text.debugDescription)") { _ = try Self.parse(text) }
        }
    }

    @Test("keys memcached cannot carry are refused before anything is sent")
    func keys() throws {
        #expect(throws: StoreClientError.self) { _ = try MemcachedCommand.get("") }
        #expect(throws: StoreClientError.self) { _ = try MemcachedCommand.get("a b") }
        #expect(throws: StoreClientError.self) { _ = try MemcachedCommand.get("a\r\nflush_all") }
        #expect(throws: StoreClientError.self) { _ = try MemcachedCommand.get(String(repeating: "k", count: 251)) }
        _ = try MemcachedCommand.get(String(repeating: "k", count: 250))
    }

    @Test("a whole retrieval reply is bounded, not only each value in it, while it arrives")
    func wholeReplyLimit() throws {
        var limits = MemcachedParser.Limits()
        limits.maxReplyBytes = 64
        let item = "VALUE k 0 10\r\n0123456789\r\n"  // 26 bytes
        #expect(try Self.parse(item + "END\r\n", limits: limits) != nil)
        #expect(throws: StoreClientError.self) { _ = try Self.parse(String(repeating: item, count: 3) + "END\r\n", limits: limits) }
        #expect(throws: StoreClientError.self, "incomplete, and already over") { _ = try Self.parse(String(repeating: item, count: 3), limits: limits) }
        #expect(try Self.parse(String(repeating: item, count: 2), limits: limits) == nil, "52 bytes buffered: waits for END")
    }
}

@Suite("store endpoints")
struct StoreEndpointTests {
    @Test("redis:// URLs: credentials, database, IPv6, defaults; the password never printed")
    func redisURLs() throws {
        let full = try RedisEndpoint(parsing: "redis://app:s3cr%40t@cache.internal:6380/2")
        #expect(full == RedisEndpoint(host: "cache.internal", port: 6380, user: "app", password: "s3cr@t", database: 2))
        #expect(full.description == "redis://app:***@cache.internal:6380/2")
        #expect(try RedisEndpoint(parsing: "redis://:pw@127.0.0.1") == RedisEndpoint(host: "127.0.0.1", port: 6379, password: "pw"))
        #expect(try RedisEndpoint(parsing: "redis://[::1]:7000/0") == RedisEndpoint(host: "::1", port: 7000))
        #expect(try RedisEndpoint(parsing: "127.0.0.1:6390") == RedisEndpoint(host: "127.0.0.1", port: 6390))
        for bad in ["redis://h:99999", "redis://h/x", "http://h:1", "redis://", "rediss://u:topsecret@h"] {
            let error = #expect(throws: StoreClientError.self, "\(bad)") { _ = try RedisEndpoint(parsing: bad) }
            #expect(error?.description.contains("topsecret") == false)
            #expect(error?.description.contains("redis://") == true, "the message shows the form to write")
        }
    }

    @Test("memcached addresses")
    func memcachedAddresses() throws {
        #expect(try MemcachedEndpoint(parsing: "127.0.0.1:11212") == MemcachedEndpoint(host: "127.0.0.1", port: 11212))
        #expect(try MemcachedEndpoint(parsing: "memcached://cache") == MemcachedEndpoint(host: "cache", port: 11211))
        #expect(throws: StoreClientError.self) { _ = try MemcachedEndpoint(parsing: "redis://cache:1") }
        #expect(throws: StoreClientError.self) { _ = try MemcachedEndpoint(parsing: "cache:0") }
    }

}
