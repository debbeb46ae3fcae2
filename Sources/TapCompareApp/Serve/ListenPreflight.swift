import NIOCore
import NIOPosix
import TapCompareCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks, before anything starts, that `serve` can listen where it is told to: the proxy's `listen` and the admin
/// listener's `admin.listen`.
///
/// Without it a port already in use (another instance, the service being replaced) failed deep inside start-up
/// with NIO's `bind(...): Address already in use (errno: 98)` and exit 1, naming no key. Each address is bound once
/// and released at once, with the options the listeners use, so a mistake is reported as a configuration error
/// (exit 2, the key and the fix) for both addresses at once, while nothing runs yet.
///
/// A port taken in the moment between this check and the real bind is reported the same way, one address at a time:
/// the listeners throw ``TapCompareCore/ListenerBindError`` and ``ServeRunner/run(_:logger:)`` turns it into
/// ``issue(_:address:file:reason:)``'s error. Nothing has been forwarded by then: the proxy binds its port only
/// once the admin listener is bound (``ServeRunner/assemble(logger:)``), so with the admin port taken the proxy never
/// listened, and with the proxy's port taken the admin listener alone was up, and is shut down again.
public enum ListenPreflight {
    /// - Parameters:
    ///   - file: the configuration file the addresses came from, or `nil` (flags and defaults).
    /// - Throws: ``ConfigurationError`` naming each address that cannot be bound.
    public static func check(_ configuration: ServeConfiguration, file: String?) async throws(ConfigurationError) {
        if let clash = Self.sharedPort(configuration, file: file) { throw ConfigurationError(issues: [clash]) }
        var issues: [ConfigurationError.Issue] = []
        for listener in [ListenerBindError.Listener.proxy, .admin] {
            let address = Self.address(of: listener, in: configuration)
            guard address.port != 0, let reason = await Self.bindFailure(address) else { continue }
            issues.append(Self.issue(listener, address: address, file: file, reason: reason))
        }
        if !issues.isEmpty { throw ConfigurationError(issues: issues) }
    }

    /// The proxy and the admin listener told to listen on one port of overlapping addresses (see ``overlap(_:_:)``):
    /// each address binds on its own, so the binds above would pass and the second real bind would fail as if another
    /// process held the port, when it is this one's own listener.
    static func sharedPort(_ configuration: ServeConfiguration, file: String?) -> ConfigurationError.Issue? {
        let proxy = configuration.listen
        let admin = configuration.admin.listen
        guard Self.overlap(proxy, admin) else { return nil }
        let resolved = (try? SocketAddress.makeAddressResolvingHost(admin.host, port: admin.port))?.ipAddress
        let named = resolved.map { $0 == admin.host ? "" : " (\(admin.host) is \($0) here)" } ?? ""
        return .init(
            file: file ?? "command line", key: file == nil ? "--admin" : "admin.listen",
            message: "\(admin)\(named) is the proxy's own port (listen: \(proxy)); the admin listener needs a port of its own: choose another port (admin.listen in the file, or --admin)"
        )
    }

    /// Whether binding both addresses would claim one socket: the same port on the same address, or on the wildcard
    /// address of a family that holds the other (`0.0.0.0` holds every IPv4 address; `::` every address, IPv4 too, as
    /// Linux binds it by default). Names are compared as the listeners' binds resolve them (NIO's
    /// `SocketAddress.makeAddressResolvingHost`, its first answer), so `localhost` is the `127.0.0.1` or `::1` it will
    /// be. A host that does not resolve is compared as written; the bind pre-flight reports it.
    static func overlap(_ proxy: ListenAddress, _ admin: ListenAddress) -> Bool {
        guard proxy.port != 0, proxy.port == admin.port else { return false }
        guard let p = try? SocketAddress.makeAddressResolvingHost(proxy.host, port: proxy.port),
            let a = try? SocketAddress.makeAddressResolvingHost(admin.host, port: admin.port),
            let x = p.ipAddress, let y = a.ipAddress
        else { return proxy.host == admin.host }
        return x == y || x == "::" || y == "::" || (x == "0.0.0.0" && a.protocol == .inet) || (y == "0.0.0.0" && p.protocol == .inet)
    }

    /// Where `listener` listens.
    static func address(of listener: ListenerBindError.Listener, in configuration: ServeConfiguration) -> ListenAddress {
        switch listener {
        case .proxy: configuration.listen
        case .admin: configuration.admin.listen
        }
    }

    /// `address` of `listener` cannot be bound, for `reason`: the key (or flag) to change and the fix.
    /// - Parameters:
    ///   - file: the configuration file the address came from, or `nil` (flags and defaults).
    static func issue(_ listener: ListenerBindError.Listener, address: ListenAddress, file: String?, reason: String) -> ConfigurationError.Issue {
        let (key, flag) = switch listener {
        case .proxy: ("listen", "--listen")
        case .admin: ("admin.listen", "--admin")
        }
        return .init(
            file: file ?? "command line", key: file == nil ? flag : key,
            message: "cannot listen on \(address): \(reason); choose another address or port (\(key) in the file, or \(flag))"
        )
    }

    /// Why `address` cannot be bound now, or `nil` when it can.
    static func bindFailure(_ address: ListenAddress) async -> String? {
        do {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: address.host, port: address.port)
                .get()
            try? await channel.close()
            return nil
        } catch {
            return Self.reason(error)
        }
    }

    /// What a bind's `error` means to the user.
    static func reason(_ error: any Error) -> String {
        guard let error = error as? IOError else { return "\(error)" }
        switch error.errnoCode {
        case EADDRINUSE: return "another process is listening there"
        case EACCES: return "not permitted (ports below 1024 need privileges)"
        case EADDRNOTAVAIL: return "the address is not one of this machine's"
        default: return "\(error)"
        }
    }
}
