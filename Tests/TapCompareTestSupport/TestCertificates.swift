import Foundation
import NIOSSL

/// A certificate authority and a server certificate made for the test by the `openssl` command (P-256, valid from now
/// for a day), written as PEM files in a fresh temporary directory.
///
/// The server certificate names `localhost` and `127.0.0.1`, so it verifies whether a client connects by name
/// (SNI and DNS name checked) or by IP address (the IP address checked).
///
/// Made with the `openssl` that `scripts/test.sh` installs rather than a certificate library: the only package that
/// writes certificates (swift-certificates) took about 30 s of compiling on every CI build for these four files.
public struct TestCertificates: Sendable {
    /// The directory holding the files; remove it with ``remove()``.
    public let directory: String
    /// The CA certificate (PEM), what a client trusts.
    public let caFile: String
    /// The server certificate followed by nothing else (PEM).
    public let certificateFile: String
    /// The server certificate's private key (PKCS#8 PEM).
    public let keyFile: String

    /// Generates a new CA and server certificate. Each call makes a different CA, so one set's server is not
    /// trusted by another set's `caFile`.
    public init(commonName: String = "TapCompare test CA") async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tapcompare-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.directory = directory
        self.caFile = directory + "/ca.pem"
        self.certificateFile = directory + "/server.pem"
        self.keyFile = directory + "/server-key.pem"
        let caKey = directory + "/ca-key.pem"
        let request = directory + "/server.csr"
        let extensions = directory + "/server.ext"
        let p256 = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        do {
            try await runProcess(
                ["openssl", "req", "-x509"] + p256 + [
                    "-keyout", caKey, "-out", self.caFile, "-days", "1", "-subj", "/CN=\(commonName)",
                    "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                ]
            )
            try await runProcess(["openssl", "req"] + p256 + ["-keyout", self.keyFile, "-out", request, "-subj", "/CN=localhost"])
            try """
                basicConstraints = critical, CA:FALSE
                keyUsage = critical, digitalSignature
                extendedKeyUsage = serverAuth
                subjectAltName = DNS:localhost, IP:127.0.0.1

                """.write(toFile: extensions, atomically: true, encoding: .utf8)
            try await runProcess([
                "openssl", "x509", "-req", "-in", request, "-CA", self.caFile, "-CAkey", caKey, "-set_serial", "\(UInt32.random(in: 1...UInt32.max))",
                "-days", "1", "-sha256", "-extfile", extensions, "-out", self.certificateFile,
            ])
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// A server context presenting the server certificate (for in-process upstreams).
    /// - Parameter applicationProtocols: the protocols offered by ALPN, e.g. `["h2"]`. Default: none.
    public func makeServerContext(applicationProtocols: [String] = []) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(self.certificateFile).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: self.keyFile, format: .pem))
        )
        configuration.applicationProtocols = applicationProtocols
        return try NIOSSLContext(configuration: configuration)
    }

    /// A client configuration trusting only this CA (for test clients talking to a TLS listener).
    public func makeClientConfiguration() throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(self.caFile))
        return configuration
    }

    /// Deletes the files.
    public func remove() {
        try? FileManager.default.removeItem(atPath: self.directory)
    }
}
