import NIOSSL
import TapCompareMirroring

/// The proxy's TLS contexts, built once at start-up and shared by every connection: building one parses
/// certificates and loads trust roots, far too costly per connection.
struct ProxyTLSContexts: Sendable {
    /// Wraps accepted connections; `nil` for a plain HTTP listener.
    var listener: NIOSSLContext?
    /// Wraps connections to legacy; `nil` for an `http://` legacy.
    var legacy: NIOSSLContext?
    /// Wraps connections to the candidate; `nil` without one or for an `http://` candidate.
    var candidate: NIOSSLContext?

    static let none = ProxyTLSContexts()

    private init() {}

    /// - Throws: ``TLSFileError`` for the first setting whose files cannot be used.
    init(configuration: ProxyConfiguration, mirror: MirrorConfiguration) throws(TLSFileError) {
        self.listener = try configuration.tls?.makeServerContext()
        self.legacy = configuration.legacy.usesTLS ? try configuration.legacyTLS.makeClientContext(httpVersion: configuration.legacy.httpVersion) : nil
        if let candidate = mirror.candidate, candidate.usesTLS {
            self.candidate = try mirror.candidateTLS.makeClientContext(httpVersion: candidate.httpVersion)
        }
    }

    /// `X-Forwarded-Proto` as seen by the client.
    var forwardedProto: String { self.listener == nil ? "http" : "https" }
}
