import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import TapCompareCapture
import TapCompareCore
import TapCompareJSON
import TapCompareTestSupport
import Testing
import _CryptoExtras

/// `--shift-time` and `--resign-jwt`, checked by services that accept only what a live client would send now.
@Suite struct ReplayRewriteTests {
    /// Within this of now counts as "now" for a shifted value (the shift is computed a moment before the service
    /// reads it; the bound is about correctness, not speed).
    static let nowTolerance: TimeInterval = 300

    static func date(_ text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return withFraction.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }

    static func isNow(_ date: Date?) -> Bool {
        guard let date else { return false }
        return abs(date.timeIntervalSinceNow) < Self.nowTolerance
    }

    static func query(_ uri: String, _ name: String) -> String? {
        URLComponents(string: "http://x" + uri)?.queryItems?.first { $0.name == name }?.value
    }

    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func shiftedTimestampsAreNowInTheirOwnFormat() async throws {
        // Captured on 2026-11-20 at 14:00:01.383Z, every timestamp equal to the capture time: after the shift
        // each must be now, whatever day the test runs.
        let body = #"{"filter":{"created_after":"2026-11-20T14:00:01.383Z","at_ms":1795183201383},"limit":20,"name":"2026-11-20T14:00:01.383Z"}"#
        let record = ReplayLoadTests.record(
            0, method: "POST", uri: "/search?since=1795183201&q=a%3Ab&until=2026-11-20T14%3A00%3A01Z",
            headers: [.init("X-Request-Time", "2026-11-20T16:00:01.383+02:00")], body: body, startedAt: ReplayLoadTests.recordedAt
        )
        let upstream = try await ScriptedUpstream { _ in
            .work { request in
                let uri = request.head.uri
                guard case .object(let doc)? = try? JSONParser.parse(request.body),
                      case .object(let filter)? = doc["filter"], case .string(let after)? = filter["created_after"],
                      case .number(let atMS)? = filter["at_ms"],
                      let since = Self.query(uri, "since").flatMap(Double.init), let until = Self.query(uri, "until"),
                      let header = request.head.headers.first(name: "X-Request-Time")
                else { return ScriptedResponse(status: 400, body: "unreadable") }
                let checks = [
                    "created_after": Self.isNow(Self.date(after)), "at_ms": Self.isNow(Date(timeIntervalSince1970: atMS.doubleValue / 1000)),
                    "since": Self.isNow(Date(timeIntervalSince1970: since)), "until": Self.isNow(Self.date(until)),
                    "X-Request-Time": Self.isNow(Self.date(header)),
                ]
                let stale = checks.filter { !$0.value }.keys.sorted()
                return ScriptedResponse(status: stale.isEmpty ? 200 : 422, body: "not now: \(stale)")
            }
        }
        defer { Task { try? await upstream.shutdown() } }
        let rewrite = ReplayRequestRewrite(timeShifts: [
            try ReplayTimeShift(parsing: "body:$.filter.created_after"), try ReplayTimeShift(parsing: "body:$.filter.at_ms"),
            try ReplayTimeShift(parsing: "query:since"), try ReplayTimeShift(parsing: "query:until"),
            try ReplayTimeShift(parsing: "header:x-request-time"), try ReplayTimeShift(parsing: "body:$.limit"),
        ])
        let sink = RecordingSink()
        let summary = try await ReplayLoadTests.run([record], against: upstream.url, pacing: .unpaced, concurrency: 1, includeWrites: true, rewrite: rewrite, sink: sink)
        #expect(sink.all.map(\.candidateStatus) == [200], "the service accepted every shifted value: \(sink.all.map(\.discrepancies))")

        // Every value at a configured place is counted: 20 (a limit, not a timestamp) is sent as captured.
        #expect(summary.rewrites.timestampsShifted == 5)
        #expect(summary.rewrites.valuesNotTimestamps == 1)
        #expect(ReplayRun.terminalSummary(.init(summary: summary, verdict: .judge(summary, candidate: "c", maxMismatchRate: 0)), runID: nil)
            .contains("rewrites: 5 timestamps shifted, 1 values not timestamps (sent as captured)"))

        // Each value kept its format; what was not configured (name, q, limit) is untouched.
        let sent = try #require(upstream.requests.first)
        let doc = try JSONParser.parse(sent.body)
        guard case .string(let after)? = doc["filter"]?["created_after"], case .number(let atMS)? = doc["filter"]?["at_ms"] else {
            Issue.record("body: \(String(decoding: sent.body, as: UTF8.self))")
            return
        }
        #expect(after.hasSuffix("Z") && after.count == "2026-11-20T14:00:01.383Z".count)
        #expect(atMS.text.count == 13 && !atMS.text.contains("."))
        #expect(doc["name"] == .string("2026-11-20T14:00:01.383Z"))
        #expect(doc["limit"] == 20)
        #expect(sent.head.uri.contains("&q=a%3Ab&until="))
        let rawUntil = sent.head.uri.components(separatedBy: "until=").last ?? ""
        #expect(rawUntil.hasPrefix("20") && rawUntil.hasSuffix("Z") && rawUntil.contains("%3A"), "escaped as captured: \(rawUntil)")
        #expect(Self.query(sent.head.uri, "since")?.count == 10)
        #expect(sent.head.headers.first(name: "X-Request-Time")?.hasSuffix("+02:00") == true)
    }

    /// A service that accepts only tokens signed with `verify` whose `exp` is in the future, issued now.
    static func jwtCheckingService(_ verify: @escaping @Sendable (_ signingInput: [UInt8], _ signature: [UInt8], _ alg: String) -> Bool) async throws -> ScriptedUpstream {
        try await ScriptedUpstream { _ in
            .work { request in
                guard let auth = request.head.headers.first(name: "Authorization") else { return ScriptedResponse(status: 401, body: "no token") }
                guard auth.hasPrefix("Bearer ") else { return ScriptedResponse(status: 401, body: "not a bearer: \(auth)") }
                let parts = auth.dropFirst(7).split(separator: ".", omittingEmptySubsequences: false)
                guard parts.count == 3, let header = Self.base64URL(parts[0]), let payload = Self.base64URL(parts[1]),
                      let signature = Self.base64URL(parts[2]),
                      case .object(let h)? = try? JSONParser.parse(header), case .object(let claims)? = try? JSONParser.parse(payload),
                      case .string(let alg)? = h["alg"], case .number(let exp)? = claims["exp"], case .number(let iat)? = claims["iat"]
                else { return ScriptedResponse(status: 401, body: "malformed") }
                guard verify(Array((parts[0] + "." + parts[1]).utf8), signature, alg) else { return ScriptedResponse(status: 401, body: "bad signature") }
                guard exp.doubleValue > Date().timeIntervalSince1970 else { return ScriptedResponse(status: 401, body: "expired") }
                // The offsets are kept: issued now, valid for the ten minutes the captured token was.
                guard Self.isNow(Date(timeIntervalSince1970: iat.doubleValue)), exp.doubleValue - iat.doubleValue == 600,
                      claims["sub"] == .string("user-7"), h["kid"] == .string("k1")
                else { return ScriptedResponse(status: 401, body: "claims") }
                return ScriptedResponse(status: 200, body: "ok")
            }
        }
    }

    static func base64URL(_ text: Substring) -> [UInt8]? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map { Array($0) }
    }

    /// A token as captured: signed with production's key, issued at the capture time, expired ever since.
    static func capturedToken() -> String {
        func b64(_ s: String) -> String {
            Data(s.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let signingInput = b64(#"{"alg":"HS256","typ":"JWT","kid":"k1"}"#) + "." + b64(#"{"sub":"user-7","iat":1795183201,"nbf":1795183201,"exp":1795183801}"#)
        let mac = HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: SymmetricKey(data: Array("production-secret".utf8)))
        return signingInput + "." + Data(mac).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func replayWithTokens(against url: String, keyFile: String) async throws -> (statuses: [Int?], rewrites: ReplayRequestRewrite.Counts) {
        let records = [
            ReplayLoadTests.record(0, headers: [.init("Authorization", "Bearer " + Self.capturedToken())], startedAt: ReplayLoadTests.recordedAt),
            ReplayLoadTests.record(1, headers: [.init("Authorization", "[REDACTED]")], startedAt: ReplayLoadTests.recordedAt),
        ]
        let rewrite = ReplayRequestRewrite(jwtSigner: try ReplayJWTSigner(keyFile: keyFile))
        let sink = RecordingSink()
        let summary = try await ReplayLoadTests.run(records, against: url, pacing: .unpaced, concurrency: 1, rewrite: rewrite, sink: sink)
        return (sink.all.sorted { $0.requestID < $1.requestID }.map(\.candidateStatus), summary.rewrites)
    }

    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func hs256TokensAreResignedWithTheirClaimsMovedToNow() async throws {
        let secret = Array("staging-secret".utf8)
        let upstream = try await Self.jwtCheckingService { input, signature, alg in
            alg == "HS256" && HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: input, using: SymmetricKey(data: secret))
        }
        defer { Task { try? await upstream.shutdown() } }
        let keyFile = try TestPaths.temporaryDirectory().appendingPathComponent("staging.key")
        try Data("staging-secret\n".utf8).write(to: keyFile)
        let (statuses, rewrites) = try await Self.replayWithTokens(against: upstream.url, keyFile: keyFile.path)
        #expect(statuses == [200, 401], "the JWT re-signed and accepted; a redacted header is not a JWT and is left alone")
        #expect(rewrites.tokensResigned == 1 && rewrites.authorizationNotJWT == 1)
        #expect(upstream.requests.contains { $0.head.headers.first(name: "Authorization") == "[REDACTED]" })

        // Without re-signing the captured token is refused: the check above is not vacuous.
        let sink = RecordingSink()
        _ = try await ReplayLoadTests.run(
            [ReplayLoadTests.record(0, headers: [.init("Authorization", "Bearer " + Self.capturedToken())])],
            against: upstream.url, pacing: .unpaced, concurrency: 1, sink: sink
        )
        #expect(sink.all.map(\.candidateStatus) == [401])
    }

    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func rs256TokensAreSignedWithAPEMPrivateKey() async throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let publicKey = key.publicKey
        let upstream = try await Self.jwtCheckingService { input, signature, alg in
            alg == "RS256" && publicKey.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5
            )
        }
        defer { Task { try? await upstream.shutdown() } }
        let keyFile = try TestPaths.temporaryDirectory().appendingPathComponent("staging.pem")
        try Data(key.pemRepresentation.utf8).write(to: keyFile)
        let (statuses, rewrites) = try await Self.replayWithTokens(against: upstream.url, keyFile: keyFile.path)
        #expect(statuses == [200, 401])
        #expect(rewrites.tokensResigned == 1)
    }

    @Test func keyFileMistakesNameTheFlagAndNeverTheKey() throws {
        #expect { try ReplayJWTSigner(keyFile: "/nonexistent/staging.key") } throws: { error in
            "\(error)".hasPrefix("--resign-jwt /nonexistent/staging.key: cannot read the key file")
        }
        #expect { try ReplayJWTSigner(keyData: Data("\n".utf8), source: "empty.key") } throws: { error in
            "\(error)".contains("the key file is empty")
        }
        let pem = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END PRIVATE KEY-----\n"
        #expect { try ReplayJWTSigner(keyData: Data(pem.utf8), source: "bad.pem") } throws: { error in
            "\(error)".contains("not a readable RSA private key") && !"\(error)".contains("c2VjcmV0LWJ5dGVz")
        }
        let signer = try ReplayJWTSigner(keyData: Data("hunter2".utf8), source: "k")
        #expect("\(signer)" == "JWT re-signing (HS256)")
        #expect(signer.resign("not-a-jwt", now: Date(), recordedAt: Date()) == nil)
    }
}
