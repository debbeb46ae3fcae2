import NIOCore
import NIOPosix
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

    @Test("a host name is compared as the bind resolves it: localhost on the proxy's port of 127.0.0.1 is named with its address")
    func aNameIsComparedAsItResolves() async throws {
        let resolved = try #require(try SocketAddress.makeAddressResolvingHost("localhost", port: 18999).ipAddress)
        let c = try Self.configuration(listen: "\(resolved.contains(":") ? "[\(resolved)]" : resolved):18999", admin: "localhost:18999")
        let error = await #expect(throws: ConfigurationError.self) { try await ListenPreflight.check(c, file: "tap.yml") }
        #expect(
            error?.description
                == "tap.yml: admin.listen: localhost:18999 (localhost is \(resolved) here) is the proxy's own port (listen: \(c.listen)); the admin listener needs a port of its own: choose another port (admin.listen in the file, or --admin)"
        )
    }

    /// Whether the kernel lets a second listener bind `second` while a first one listens on `first` (both with the
    /// listeners' options), on a port free on every address; `nil` when `first` cannot be bound on this machine.
    static func kernelRefuses(_ first: String, _ second: String) async throws -> Bool? {
        for _ in 0..<5 {
            // A port free on every address: taken on the dual-stack wildcard, then released.
            let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "::", port: 0).get()
            let port = try #require(probe.localAddress?.port)
            try await probe.close()
            let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            let held: any Channel
            do {
                held = try await bootstrap.bind(host: first, port: port).get()
            } catch let error as IOError where error.errnoCode == EADDRINUSE {
                continue  // taken by someone else in the meantime: another port
            } catch {
                return nil
            }
            defer { held.close(promise: nil) }
            do {
                let second = try await bootstrap.bind(host: second, port: port).get()
                try await second.close()
                return false
            } catch let error as IOError where error.errnoCode == EADDRINUSE {
                return true
            }
        }
        Issue.record("no free port in five tries")
        return nil
    }

    @Test("the pre-flight refuses exactly the pairs of addresses whose binds the kernel refuses")
    func verdictsMatchTheKernel() async throws {
        let hosts = ["127.0.0.1", "127.0.0.2", "localhost", "0.0.0.0", "::1", "::"]
        for first in hosts {
            for second in hosts where second != first {
                guard let refused = try await Self.kernelRefuses(first, second) else { continue }
                let proxy = ListenAddress(host: first, port: 18999)
                let admin = ListenAddress(host: second, port: 18999)
                #expect(ListenPreflight.overlap(proxy, admin) == refused, "listen \(proxy), admin \(admin): the kernel \(refused ? "refuses" : "allows") both")
            }
        }
    }
}
