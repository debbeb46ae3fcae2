import NIOSSL
import TapCompareMirroring

/// TLS on the client-facing listener (`tls.certificate`, `tls.key`). Without it the proxy speaks plain HTTP.
///
/// The files are read once, at start-up: replacing them needs a restart (SIGHUP reloads rules only).
public struct ListenerTLS: Sendable, Hashable {
    /// `tls.certificate`: PEM file with the server certificate first, then any intermediates. Required.
    public var certificatePath: String
    /// `tls.key`: PEM file with the certificate's unencrypted private key (RSA or EC). Required.
    public var keyPath: String

    public init(certificatePath: String, keyPath: String) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }

    /// The shared context every accepted connection is wrapped with: TLS 1.2 or later; ALPN offers `h2` and
    /// `http/1.1` and the client picks (the listener tells them apart by the HTTP/2 preface either way).
    ///
    /// Reads both files synchronously: call at start-up only.
    /// - Throws: ``TLSFileError`` naming the file that is missing, unreadable or unusable, including a key that
    ///   does not belong to the certificate.
    public func makeServerContext() throws(TLSFileError) -> NIOSSLContext {
        let chain = try PEMFile.certificates(at: self.certificatePath, role: .certificate)
        let key = try PEMFile.privateKey(at: self.keyPath)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["h2", "http/1.1"]
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSFileError(
                role: .privateKey,
                path: self.keyPath,
                reason: "does not match the certificate in '\(self.certificatePath)' (\(error))"
            )
        }
    }
}
