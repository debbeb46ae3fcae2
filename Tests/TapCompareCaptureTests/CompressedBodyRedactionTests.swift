import Foundation
import Logging
import NIOCore
import NIOHTTP1
@testable import TapCompareCapture
import TapCompareComparison
import TapCompareCore
import TapCompareLedger
import TapCompareTestSupport
import Testing

/// `redact.json_paths` apply to what a compressed body contains: a secret inside a gzip body is never stored, in
/// the ledger or in a capture file, in clear or compressed. Bodies that cannot be decoded are left out, counted.
@Suite(.timeLimit(.minutes(TestTiming.minutes(1)))) struct CompressedBodyRedactionTests {
    static let secrets = ["hunter2-pw-secret", "tok-XYZ-secret", "req-pw-secret"]
    static let redaction = RedactionConfiguration(jsonPaths: ["$.password", "$.token"])

    /// `gzip` of `{"user":"ann","password":"hunter2-pw-secret","token":"tok-XYZ-secret","n":1}`.
    static let legacyGzip: [UInt8] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xab, 0x56, 0x2a, 0x2d, 0x4e, 0x2d, 0x52, 0xb2, 0x52, 0x4a,
        0xcc, 0xcb, 0x53, 0xd2, 0x51, 0x2a, 0x48, 0x2c, 0x2e, 0x2e, 0xcf, 0x2f, 0x4a, 0x01, 0x0a, 0x64, 0x94, 0xe6, 0x95, 0xa4,
        0x16, 0x19, 0xe9, 0x16, 0x94, 0xeb, 0x16, 0xa7, 0x26, 0x17, 0xa5, 0x96, 0x00, 0xa5, 0x4b, 0xf2, 0xb3, 0x53, 0xf3, 0x80,
        0x72, 0x40, 0x5a, 0x37, 0x22, 0x32, 0x0a, 0x21, 0x01, 0x14, 0x34, 0xac, 0x05, 0x00, 0xfd, 0xbc, 0x7b, 0x7a, 0x4c, 0x00,
        0x00, 0x00,
    ]
    /// `gzip` of `{"login":"ann","password":"req-pw-secret"}`.
    static let requestGzip: [UInt8] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xab, 0x56, 0xca, 0xc9, 0x4f, 0xcf, 0xcc, 0x53, 0xb2, 0x52,
        0x4a, 0xcc, 0xcb, 0x53, 0xd2, 0x51, 0x2a, 0x48, 0x2c, 0x2e, 0x2e, 0xcf, 0x2f, 0x4a, 0x01, 0x0a, 0x14, 0xa5, 0x16, 0xea,
        0x16, 0x94, 0xeb, 0x16, 0xa7, 0x26, 0x17, 0xa5, 0x96, 0x28, 0xd5, 0x02, 0x00, 0x16, 0x56, 0x35, 0x16, 0x2a, 0x00, 0x00,
        0x00,
    ]

    /// A login whose request and legacy answer are gzip-encoded JSON with secrets; the candidate answers in clear
    /// with different secrets' places, so the comparison is a mismatch and its samples are kept.
    static func exchange(legacyEncoding: String = "gzip") -> Exchange {
        var requestHeaders = HTTPHeaders()
        requestHeaders.add(name: "Content-Type", value: "application/json")
        requestHeaders.add(name: "Content-Encoding", value: "gzip")
        var request = RequestSnapshot(method: .POST, uri: "/api/v1/login", headers: requestHeaders)
        request.body = ByteBuffer(bytes: Self.requestGzip)
        request.bodyLength = Self.requestGzip.count
        var legacyHeaders = HTTPHeaders()
        legacyHeaders.add(name: "Content-Type", value: "application/json")
        legacyHeaders.add(name: "Content-Encoding", value: legacyEncoding)
        legacyHeaders.add(name: "Content-Length", value: String(Self.legacyGzip.count))
        let legacy = ResponseSnapshot(status: .ok, headers: legacyHeaders, body: ByteBuffer(bytes: Self.legacyGzip))
        let candidate = ResponseSnapshot(
            status: .ok, headers: ["Content-Type": "application/json"],
            body: ByteBuffer(string: #"{"user":"ann","password":"hunter2-pw-secret","token":"tok-XYZ-secret","n":2}"#)
        )
        return Exchange(
            requestID: "login-1", route: "POST /api/v1/login", request: request, legacy: legacy,
            legacyLatency: .milliseconds(5), candidate: .response(candidate, latency: .milliseconds(4))
        )
    }

    /// Every secret found in `text`, also inside a `base64:` gzip sample (what was stored before the fix).
    static func secretsIn(_ text: String) -> [String] {
        var texts = [text]
        if text.hasPrefix("base64:"), let data = Data(base64Encoded: String(text.dropFirst(7))),
           case .success(let decoded) = BodyDecoder().decodeContent(ByteBuffer(bytes: data), contentEncoding: ["gzip"]) {
            texts.append(String(buffer: decoded))
        }
        return Self.secrets.filter { secret in texts.contains { $0.contains(secret) } }
    }

    /// An SQLite ledger in `dir` with the redaction under test. The write timeout only guards against a hang: the
    /// default 5 s spools the record on a loaded CI machine, and the test would find no row.
    static func configuration(_ dir: URL) -> LedgerConfiguration {
        var configuration = LedgerConfiguration(url: LedgerURL(backend: .sqlite(path: dir.appendingPathComponent("ledger.sqlite").path)))
        configuration.spoolDirectory = dir.appendingPathComponent("spool").path
        configuration.redaction = Self.redaction
        configuration.writeTimeout = TestTiming.scaled(.seconds(60))
        return configuration
    }

    @Test func aGzipBodyWithConfiguredJSONPathsNeverStoresTheSecretInTheLedger() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let configuration = Self.configuration(dir)
        let record = Comparator().compare(Self.exchange())
        #expect(record.outcome == .mismatch)
        let metrics = LedgerMetrics()
        try await LedgerStores.withWriter(configuration: configuration, logger: Logger(label: "test"), metrics: metrics, bodyDecoder: BodyDecoder()) { writer in
            writer.record(record)
        }
        let stored = try #require(try await LedgerReaders.withReader(url: configuration.url, logger: Logger(label: "test")) { reader in
            try await reader.comparison(id: record.id)
        })
        let legacySample = try #require(stored.legacySample)
        let requestSample = try #require(stored.requestSample)
        // Stored decoded and redacted: readable, the secrets' places marked.
        #expect(legacySample == #"{"user":"ann","password":"[REDACTED]","token":"[REDACTED]","n":1}"#)
        #expect(requestSample.hasSuffix(#"{"login":"ann","password":"[REDACTED]"}"#))
        for text in [legacySample, requestSample, stored.candidateSample ?? ""] + stored.discrepancies.flatMap({ [$0.legacyValue ?? "", $0.candidateValue ?? ""] }) {
            #expect(Self.secretsIn(text).isEmpty, "a secret stored in \(text.prefix(80))")
        }
        // And nowhere in the database's files, in clear or as the compressed sample's Base64.
        let compressed = Data(Self.legacyGzip).base64EncodedString()
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasPrefix("ledger.sqlite") {
            let bytes = try String(decoding: Data(contentsOf: dir.appendingPathComponent(name)), as: UTF8.self)
            for secret in Self.secrets + [compressed] { #expect(!bytes.contains(secret), "\(secret) in \(name)") }
        }
        #expect(metrics.snapshot.withheldSamples.isEmpty)
    }

    @Test func aBodyThatCannotBeDecodedIsWithheldCountedAndSaidInItsPlace() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let configuration = Self.configuration(dir)
        // `br` is not decoded here: its bytes cannot be redacted, so they are not stored.
        let record = Comparator().compare(Self.exchange(legacyEncoding: "br"))
        let metrics = LedgerMetrics()
        try await LedgerStores.withWriter(configuration: configuration, logger: Logger(label: "test"), metrics: metrics, bodyDecoder: BodyDecoder()) { writer in
            writer.record(record)
        }
        let stored = try #require(try await LedgerReaders.withReader(url: configuration.url, logger: Logger(label: "test")) { reader in
            try await reader.comparison(id: record.id)
        })
        let legacySample = try #require(stored.legacySample)
        #expect(legacySample.hasPrefix(WithheldSample.prefix))
        #expect(legacySample.contains("content-encoding 'br' is not decoded"))
        #expect(!legacySample.contains("base64:"))
        #expect(metrics.snapshot.withheldSamples == ["undecodable": 1])
    }

    /// Found in review: captures withheld a body that is not UTF-8 text when `redact.json_paths` were set, but the
    /// ledger stored it as `base64:`, the secret at a configured path inside it.
    @Test func aBodyThatIsNotUTF8IsWithheldFromTheLedgerCountedAndSaidInItsPlace() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let configuration = Self.configuration(dir)
        // JSON with one Latin-1 byte (`é`): no JSON path can be found in it, yet it holds the token.
        let latin1 = Array(#"{"user":"Ren"#.utf8) + [0xE9] + Array(#"","token":"tok-XYZ-secret","n":1}"#.utf8)
        var exchange = Self.exchange()
        exchange.legacy = ResponseSnapshot(status: .ok, headers: ["Content-Type": "application/json"], body: ByteBuffer(bytes: latin1))
        var request = RequestSnapshot(method: .POST, uri: "/api/v1/login", headers: ["Content-Type": "application/json"])
        request.body = ByteBuffer(bytes: Array(#"{"login":"ren","password":"req-pw-secret","name":"Ren"#.utf8) + [0xE9] + Array(#""}"#.utf8))
        request.bodyLength = request.body.readableBytes
        exchange.request = request
        let record = Comparator().compare(exchange)
        #expect(record.outcome == .mismatch)
        let metrics = LedgerMetrics()
        try await LedgerStores.withWriter(configuration: configuration, logger: Logger(label: "test"), metrics: metrics, bodyDecoder: BodyDecoder()) { writer in
            writer.record(record)
        }
        let stored = try #require(try await LedgerReaders.withReader(url: configuration.url, logger: Logger(label: "test")) { reader in
            try await reader.comparison(id: record.id)
        })
        let legacySample = try #require(stored.legacySample)
        #expect(legacySample == "[WITHHELD] body not stored: the body is not UTF-8 text, where no JSON path can be found; redact.json_paths could not be applied to it")
        let requestSample = try #require(stored.requestSample)
        #expect(requestSample.hasPrefix("POST /api/v1/login HTTP/1.1\r\n"))
        #expect(requestSample.hasSuffix("\r\n\r\n" + legacySample))
        #expect(stored.candidateSample == #"{"user":"ann","password":"[REDACTED]","token":"[REDACTED]","n":2}"#)
        #expect(metrics.snapshot.withheldSamples == ["binary": 2])
        // Nowhere in the database's files: in clear, or as the bodies' Base64.
        let encoded = [Data(latin1).base64EncodedString(), Data(request.body.readableBytesView).base64EncodedString()]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasPrefix("ledger.sqlite") {
            let bytes = try String(decoding: Data(contentsOf: dir.appendingPathComponent(name)), as: UTF8.self)
            for secret in Self.secrets + encoded { #expect(!bytes.contains(secret), "\(secret) in \(name)") }
        }
    }

    @Test func aGzipBodyWithConfiguredJSONPathsNeverStoresTheSecretInACapture() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let path = dir.appendingPathComponent("traffic.jsonl").path
        let configuration = CaptureConfiguration(path: path, redaction: Self.redaction)
        let writer = try await CaptureWriterTests.runWriter(configuration, [Self.exchange(), Self.exchange(legacyEncoding: "br")])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let compressed = Data(Self.legacyGzip).base64EncodedString()
        for secret in Self.secrets + [compressed] { #expect(!text.contains(secret), "\(secret) in the capture") }
        let records = try CaptureFile.read(path: path)
        #expect(records.count == 2)
        let decoded = try #require(records.first)
        #expect(decoded.legacy.body?.data == #"{"user":"ann","password":"[REDACTED]","token":"[REDACTED]","n":1}"#)
        #expect(!decoded.legacy.headers.contains { $0.name.lowercased() == "content-encoding" })
        #expect(decoded.legacy.headers.first { $0.name == "Content-Length" }?.value == "76")
        #expect(decoded.request.body?.data == #"{"login":"ann","password":"[REDACTED]"}"#)
        for body in records.flatMap({ [$0.request.body, $0.legacy.body, $0.candidate?.response?.body] }).compactMap({ $0 }) {
            #expect(Self.secretsIn(body.encoding == .base64 ? "base64:" + body.data : body.data).isEmpty)
        }
        // The `br` body could not be redacted: left out, its length kept, counted.
        let withheld = records[1]
        #expect(withheld.legacy.body == nil)
        #expect(withheld.legacy.bodyLength == Self.legacyGzip.count)
        #expect(writer.withheldBodyCount(.undecodable) == 1)
    }
}
