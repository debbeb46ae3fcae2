@testable import TapCompareApp
import TapCompareTestSupport
import Testing

/// `serve`'s pre-flight of its two listen addresses, before anything starts.
@Suite struct ListenPreflightTests {
    static func configuration(listen: String, admin: String) throws -> ServeConfiguration {
        var c = ServeConfiguration()
        c.listen = try #require(ListenAddress(parsing: listen))
        c.admin.listen = try #require(ListenAddress(parsing: admin))
        return c
    }

    @Test("the proxy and the admin listener on one port: a configuration error naming admin.listen and the fix, whatever the file or flags")
    func oneSharedPort() async throws {
        for (listen, admin) in [("127.0.0.1:18999", "127.0.0.1:18999"), ("0.0.0.0:18999", "127.0.0.1:18999"), ("127.0.0.1:18999", ":18999")] {
            let c = try Self.configuration(listen: listen, admin: admin)
            let fromFile = await #expect(throws: ConfigurationError.self) { try await ListenPreflight.check(c, file: "tap.yml") }
            #expect(
                fromFile?.description
                    == "tap.yml: admin.listen: \(c.admin.listen) is the proxy's own port (listen: \(c.listen)); the admin listener needs a port of its own: choose another port (admin.listen in the file, or --admin)"
            )
            let fromFlags = await #expect(throws: ConfigurationError.self) { try await ListenPreflight.check(c, file: nil) }
            #expect(fromFlags?.description.hasPrefix("command line: --admin: \(c.admin.listen) is the proxy's own port") == true, "\(String(describing: fromFlags))")
        }
    }

    @Test("one port on two different hosts, or port 0 twice, is not a clash")
    func noClash() async throws {
        // Port 0 binds a free port for each; two distinct loopback addresses can share a port number.
        try await ListenPreflight.check(try Self.configuration(listen: "127.0.0.1:0", admin: "127.0.0.1:0"), file: nil)
        #expect(ListenPreflight.sharedPort(try Self.configuration(listen: "127.0.0.1:18999", admin: "127.0.0.2:18999"), file: nil) == nil)
    }
}
