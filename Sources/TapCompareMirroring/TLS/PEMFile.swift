import Foundation
import NIOSSL

/// Reads the PEM files TLS settings name, turning each failure into a ``TLSFileError`` a user can act on
/// (BoringSSL's own errors say neither which file nor what to do).
///
/// Synchronous file I/O: call at start-up only, never on an event loop.
public enum PEMFile {
    /// Every certificate in a PEM file (a chain, or a bundle of CA certificates).
    /// - Throws: ``TLSFileError`` when the file is missing, unreadable or holds no certificate.
    public static func certificates(at path: String, role: TLSFileError.Role) throws(TLSFileError) -> [NIOSSLCertificate] {
        try self.checkReadable(path, role: role)
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw TLSFileError(role: role, path: path, reason: "not a PEM certificate file (expected '-----BEGIN CERTIFICATE-----' blocks)")
        }
        guard !certificates.isEmpty else {
            throw TLSFileError(role: role, path: path, reason: "holds no certificate (expected '-----BEGIN CERTIFICATE-----' blocks)")
        }
        return certificates
    }

    /// The private key in a PEM file.
    /// - Throws: ``TLSFileError`` when the file is missing, unreadable or holds no usable key.
    public static func privateKey(at path: String) throws(TLSFileError) -> NIOSSLPrivateKey {
        try self.checkReadable(path, role: .privateKey)
        do {
            return try NIOSSLPrivateKey(file: path, format: .pem)
        } catch {
            throw TLSFileError(
                role: .privateKey,
                path: path,
                reason: "not an unencrypted PEM private key (expected '-----BEGIN PRIVATE KEY-----', RSA or EC)"
            )
        }
    }

    private static func checkReadable(_ path: String, role: TLSFileError.Role) throws(TLSFileError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TLSFileError(role: role, path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw TLSFileError(role: role, path: path, reason: "is a directory; give the PEM file itself")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw TLSFileError(role: role, path: path, reason: "not readable by this user; check its permissions")
        }
    }
}
