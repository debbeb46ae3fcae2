/// A certificate, key or CA file that cannot be used. The ``description`` names the file and what is wrong,
/// and is safe to show (it never contains key material).
public struct TLSFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which file of a TLS setting was at fault, so a caller can name the configuration key.
    public enum Role: String, Sendable, Hashable {
        /// The listener's certificate chain (`tls.certificate`).
        case certificate
        /// The listener's private key (`tls.key`).
        case privateKey = "key"
        /// An upstream's trusted CA certificates (`upstream_tls.<side>.ca_file`).
        case caFile = "ca_file"
    }

    public var role: Role
    public var path: String
    /// What is wrong, with the fix, e.g. `no such file`.
    public var reason: String

    public init(role: Role, path: String, reason: String) {
        self.role = role
        self.path = path
        self.reason = reason
    }

    public var description: String { "'\(self.path)': \(self.reason)" }
}
