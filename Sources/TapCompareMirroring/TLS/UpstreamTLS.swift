import NIOSSL

/// How an `https://` upstream's certificate is checked (`upstream_tls.legacy`, `.candidate`, `.secondary`).
/// Ignored for an `http://` upstream.
///
/// Per upstream because they usually differ: legacy signed by the production CA, a staging candidate by an
/// internal CA or self-signed.
public struct UpstreamTLS: Sendable, Hashable, CustomStringConvertible {
    /// `ca_file`: a PEM file of CA certificates (one or several) that are trusted *instead of* the system trust
    /// store. Replacing rather than adding is deliberate: an upstream signed by a private CA should not also be
    /// accepted on the strength of any public CA. Default `nil`: the system trust store.
    public var caFile: String?
    /// `insecure`: accept any certificate, without checking the chain or the host name. For staging only;
    /// start-up logs a warning and the start-up summary says so. Default `false`.
    ///
    /// - Warning: anyone on the path can read and change the traffic.
    public var insecure: Bool

    public init(caFile: String? = nil, insecure: Bool = false) {
        self.caFile = caFile
        self.insecure = insecure
    }

    /// What the start-up summary prints: `system trust store`, `ca_file PATH` or the insecure warning.
    public var description: String {
        if self.insecure { return "INSECURE: certificate not verified" }
        if let caFile = self.caFile { return "verified against ca_file \(caFile)" }
        return "verified against the system trust store"
    }

    /// The client-side TLS configuration: full verification (chain and host name) against the chosen roots,
    /// HTTP/1.1 offered by ALPN (the only protocol the proxy speaks upstream).
    ///
    /// Reads ``caFile`` synchronously: call at start-up only, and build the `NIOSSLContext` once from it.
    /// - Throws: ``TLSFileError`` when ``caFile`` is missing, unreadable or holds no certificate.
    public func makeClientConfiguration() throws(TLSFileError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.applicationProtocols = ["http/1.1"]
        if self.insecure {
            configuration.certificateVerification = .none
        } else if let caFile = self.caFile {
            configuration.trustRoots = .certificates(try PEMFile.certificates(at: caFile, role: .caFile))
        }
        return configuration
    }

    /// The shared context every connection to the upstream is wrapped with.
    /// - Parameter httpVersion: the protocol offered by ALPN: `http/1.1`, or `h2` for an HTTP/2 upstream. Default
    ///   ``UpstreamURL/HTTPVersion/http1``.
    /// - Throws: ``TLSFileError`` as ``makeClientConfiguration()``, or when BoringSSL refuses the roots.
    public func makeClientContext(httpVersion: UpstreamURL.HTTPVersion = .http1) throws(TLSFileError) -> NIOSSLContext {
        var configuration = try self.makeClientConfiguration()
        if httpVersion == .http2 { configuration.applicationProtocols = ["h2"] }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSFileError(role: .caFile, path: self.caFile ?? "(system trust store)", reason: "cannot be used as trust roots (\(error))")
        }
    }
}
