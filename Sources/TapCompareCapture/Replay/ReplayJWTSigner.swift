import Crypto
import Foundation
import TapCompareJSON
import _CryptoExtras

/// `--resign-jwt KEYFILE`: re-signs the captured `Authorization: Bearer` JSON Web Tokens with a staging key and
/// moves their `iat`, `nbf` and `exp` to now, keeping their offsets, so replayed traffic still authenticates.
///
/// The key file holds either a PEM RSA private key (the tokens are signed RS256) or an HMAC secret (HS256; the
/// file's bytes, one trailing newline dropped). Every other header field (`kid`, `typ`) and claim is kept.
///
/// - Warning: the key and the tokens are secrets: nothing here logs or stores them, and ``description`` names
///   only the algorithm. The rewritten token is only ever sent; the ledger and the reports keep the captured
///   request (whose `Authorization` the capture already holds redacted or as recorded).
public struct ReplayJWTSigner: Sendable, CustomStringConvertible {
    enum Key: Sendable {
        case hs256(SymmetricKey)
        case rs256(_RSA.Signing.PrivateKey)
    }

    private let key: Key

    /// `HS256` or `RS256`.
    public var algorithm: String {
        switch self.key {
        case .hs256: return "HS256"
        case .rs256: return "RS256"
        }
    }

    public var description: String { "JWT re-signing (\(self.algorithm))" }

    /// Reads the key file.
    /// - Throws: ``ReplayError`` naming the flag and the file, never its content.
    public init(keyFile path: String) throws(ReplayError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .badArgument("--resign-jwt \(path): cannot read the key file (\(CaptureFile.reason(error))); give a file holding an HS256 secret or a PEM RSA private key")
        }
        try self.init(keyData: data, source: path)
    }

    /// - Parameter source: what to name in an error (the file's path).
    public init(keyData data: Data, source: String) throws(ReplayError) {
        let text = String(decoding: data, as: UTF8.self)
        if text.contains("-----BEGIN") {
            guard text.contains("PRIVATE KEY-----") else {
                throw .badArgument("--resign-jwt \(source): the PEM file holds no private key; give the RSA private key (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY) whose public key the candidate trusts")
            }
            do {
                self.key = .rs256(try _RSA.Signing.PrivateKey(pemRepresentation: text))
            } catch {
                throw .badArgument("--resign-jwt \(source): not a readable RSA private key (RS256 needs RSA, 2048 bits or more); give a PEM RSA private key or an HS256 secret")
            }
            return
        }
        var secret = data
        if secret.last == UInt8(ascii: "\n") { secret.removeLast() }
        if secret.last == UInt8(ascii: "\r") { secret.removeLast() }
        guard !secret.isEmpty else {
            throw .badArgument("--resign-jwt \(source): the key file is empty; write the HS256 secret in it (or a PEM RSA private key for RS256)")
        }
        self.key = .hs256(SymmetricKey(data: secret))
    }

    /// The token with its time claims moved and signed with our key, or `nil` when it is not a JWT (left as is).
    /// - Parameters:
    ///   - now: the new `iat`.
    ///   - recordedAt: when the request was captured: the reference for `nbf`/`exp` when the token has no `iat`.
    public func resign(_ token: String, now: Date, recordedAt: Date) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              let headerBytes = Self.base64URLDecode(parts[0]), let payloadBytes = Self.base64URLDecode(parts[1]),
              case .object(var header)? = try? JSONParser.parse(headerBytes),
              case .object(var claims)? = try? JSONParser.parse(payloadBytes)
        else { return nil }
        header["alg"] = .string(self.algorithm)
        let reference = Self.seconds(claims["iat"]) ?? Self.seconds(claims["nbf"]) ?? recordedAt.timeIntervalSince1970
        let delta = now.timeIntervalSince1970.rounded(.down) - reference.rounded(.down)
        for name in ["iat", "nbf", "exp"] {
            guard let value = Self.seconds(claims[name]) else { continue }
            claims[name] = .number(JSONNumber(Int(value.rounded(.down) + delta)))
        }
        let signingInput = Self.base64URLEncode(Array(JSONValue.object(header).serialized().utf8)) + "."
            + Self.base64URLEncode(Array(JSONValue.object(claims).serialized().utf8))
        let signature: [UInt8]
        switch self.key {
        case .hs256(let key):
            signature = Array(HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: key))
        case .rs256(let key):
            guard let s = try? key.signature(for: SHA256.hash(data: Array(signingInput.utf8)), padding: .insecurePKCS1v1_5) else { return nil }
            signature = Array(s.rawRepresentation)
        }
        return signingInput + "." + Self.base64URLEncode(signature)
    }

    /// A NumericDate claim's seconds, `nil` when absent or not a number.
    static func seconds(_ value: JSONValue?) -> Double? {
        guard case .number(let n)? = value, n.doubleValue.isFinite else { return nil }
        return n.doubleValue
    }

    static func base64URLDecode(_ text: Substring) -> [UInt8]? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map { Array($0) }
    }

    static func base64URLEncode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
