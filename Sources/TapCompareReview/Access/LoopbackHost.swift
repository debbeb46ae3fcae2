#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether a configured listen host can only be reached from this machine.
///
/// The host is parsed as an address, never matched as text: `127.corp.example` is a host name that starts like a
/// loopback address and may resolve to a public interface, so it is not loopback and needs a token like any
/// other. Loopback is an IPv4 address in `127.0.0.0/8` (dotted decimal, four parts), the IPv6 address `::1` (in
/// any spelling, brackets allowed), or the name `localhost` (RFC 6761 reserves it for loopback).
public enum LoopbackHost {
    public static func isLoopback(_ host: String) -> Bool {
        var host = host
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.lowercased() == "localhost" { return true }
        if let v4 = Self.ipv4(host) { return v4.0 == 127 }
        if host.contains(":") {
            var address = in6_addr()
            guard inet_pton(AF_INET6, host, &address) == 1 else { return false }
            return withUnsafeBytes(of: &address) { bytes in bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1 }
        }
        return false
    }

    /// The four octets of a dotted-decimal IPv4 address (no leading `+`, no octal or hex forms), or `nil`.
    static func ipv4(_ text: String) -> (UInt8, UInt8, UInt8, UInt8)? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let value = UInt8(part)
            else { return nil }
            octets.append(value)
        }
        return (octets[0], octets[1], octets[2], octets[3])
    }
}
