import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// A certificate authority and a server certificate made by the test itself (P-256, valid for an hour
/// either side of now), written as PEM files in a fresh temporary directory.
///
/// The server certificate names `localhost` and `127.0.0.1`, so it verifies whether a client connects by name
/// (SNI and DNS name checked) or by IP address (the IP address checked).
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
    public init(commonName: String = "TapCompare test CA") throws {
        let now = Date()
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { CommonName(commonName) }
        let ca = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: .init(caKey.publicKey),
            notValidBefore: now - 3600,
            notValidAfter: now + 3600,
            issuer: caName,
            subject: caName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(caKey)
        )
        let serverKey = P256.Signing.PrivateKey()
        let server = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: .init(serverKey.publicKey),
            notValidBefore: now - 3600,
            notValidAfter: now + 3600,
            issuer: caName,
            subject: try DistinguishedName { CommonName("localhost") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
            },
            issuerPrivateKey: .init(caKey)
        )
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tapcompare-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.directory = directory
        self.caFile = directory + "/ca.pem"
        self.certificateFile = directory + "/server.pem"
        self.keyFile = directory + "/server-key.pem"
        try ca.serializeAsPEM().pemString.write(toFile: self.caFile, atomically: true, encoding: .utf8)
        try server.serializeAsPEM().pemString.write(toFile: self.certificateFile, atomically: true, encoding: .utf8)
        try serverKey.pemRepresentation.write(toFile: self.keyFile, atomically: true, encoding: .utf8)
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
