import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks, before anything starts, that `serve` can listen where it is told to: the proxy's `listen` and the admin
/// listener's `admin.listen`.
///
/// Without it a port already in use (another instance, the service being replaced) failed deep inside start-up
/// with NIO's `bind(...): Address already in use (errno: 98)` and exit 1, naming no key; and with only the admin
/// port taken, the proxy was already forwarding when the group shut down again. Each address is bound once and
/// released at once, with the options the listeners use, so a mistake is reported as a configuration error (exit
/// 2, the key and the fix) while nothing runs yet. A port taken in the moment between this check and the real bind
/// still fails the old way.
public enum ListenPreflight {
    /// - Parameters:
    ///   - file: the configuration file the addresses came from, or `nil` (flags and defaults).
    /// - Throws: ``ConfigurationError`` naming each address that cannot be bound.
    public static func check(_ configuration: ServeConfiguration, file: String?) async throws(ConfigurationError) {
        var issues: [ConfigurationError.Issue] = []
        for (key, flag, address) in [("listen", "--listen", configuration.listen), ("admin.listen", "--admin", configuration.admin.listen)] {
            guard address.port != 0, let reason = await Self.bindFailure(address) else { continue }
            issues.append(.init(
                file: file ?? "command line", key: file == nil ? flag : key,
                message: "cannot listen on \(address): \(reason); choose another address or port (\(key) in the file, or \(flag))"
            ))
        }
        if !issues.isEmpty { throw ConfigurationError(issues: issues) }
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
        } catch let error as IOError {
            switch error.errnoCode {
            case EADDRINUSE: return "another process is listening there"
            case EACCES: return "not permitted (ports below 1024 need privileges)"
            case EADDRNOTAVAIL: return "the address is not one of this machine's"
            default: return "\(error)"
            }
        } catch {
            return "\(error)"
        }
    }
}
