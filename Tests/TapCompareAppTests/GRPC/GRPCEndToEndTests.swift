import Foundation
import TapCompareLedger
import TapCompareTestSupport
import Testing

/// The whole gRPC path through `tapcompare serve` (issue 18): an HTTP/2 client calls the comment API through the
/// proxy over h2c; legacy and candidate are HTTP/2 gRPC servers; the candidate plants one bug per call. The client
/// must get legacy's bytes and trailers, reads named by `grpc.read_methods` are mirrored and compared field by field
/// with the descriptor set, a write is not, and the ledger holds each difference at its field.
@Suite("gRPC end to end", .timeLimit(.minutes(TestTiming.minutes(2))))
struct GRPCEndToEndTests {
    static let get = "/tapcompare.demo.Comments/GetComment"
    static let list = "/tapcompare.demo.Comments/ListComments"
    static let create = "/tapcompare.demo.Comments/CreateComment"

    /// A `tapcompare.demo.Comment`: id 1, body 2, status 3 (1 VISIBLE, 2 HIDDEN), tags 4, author 5 {name 1}.
    static func comment(id: Int64, body: String = "first!", status: Int64 = 1, tags: [String] = ["go", "perf"]) -> [UInt8] {
        var writer = ProtobufWriter().varint(1, id).string(2, body).varint(3, status)
        for tag in tags { writer = writer.string(4, tag) }
        return writer.message(5, ProtobufWriter().string(1, "ada")).bytes
    }

    /// Legacy's answers; the candidate's differ as planted: GetComment's status HIDDEN instead of VISIBLE,
    /// ListComments' third message missing and a tag dropped from the first.
    static func answer(_ request: HTTP2TestServer.Request, candidate: Bool) -> HTTP2TestServer.Behavior {
        switch request.header(":path") {
        case Self.get:
            return HTTP2TestServer.grpc([Self.comment(id: 7, status: candidate ? 2 : 1)])
        case Self.list:
            var messages = (1...3).map { Self.comment(id: Int64($0)) }
            if candidate {
                messages[0] = Self.comment(id: 1, tags: ["go"])
                messages.removeLast()
            }
            return HTTP2TestServer.grpc(messages)
        default:
            return HTTP2TestServer.grpc([Self.comment(id: 99)])
        }
    }

    @Test("through serve over h2c: the client gets legacy's answer, reads are compared field by field, writes are not mirrored")
    func plantedDiscrepancies() async throws {
        let legacy = try await HTTP2TestServer { request, _ in Self.answer(request, candidate: false) }
        let candidate = try await HTTP2TestServer { request, _ in Self.answer(request, candidate: true) }
        let directory = try ServeHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let serve = try await ServeProcess.start(yaml: """
            legacy: h2c://127.0.0.1:\(legacy.port)
            candidate: h2c://127.0.0.1:\(candidate.port)
            sample_rate: 1.0
            mirror:
              timeout: \(5 * TestTiming.scale)s
            grpc:
              descriptor_set: \(TestPaths.fixture("grpc/comments.pb"))
              read_methods: ["*/Get*", "*/List*"]
            ledger:
              url: sqlite:\(directory)/ledger.sqlite
              spool_dir: \(directory)/spool

            """, directory: directory)
        defer { serve.terminate() }
        let client = try await HTTP2TestClient.connect(port: serve.proxyPort)
        let headers = [("content-type", "application/grpc"), ("te", "trailers")]

        let got = try await client.send(path: Self.get, headers: headers, body: HTTP2TestServer.frame(ProtobufWriter().varint(1, 7).bytes))
        #expect(got.status == "200")
        #expect(got.body == HTTP2TestServer.frame(Self.comment(id: 7)))
        #expect(got.trailer("grpc-status") == "0")
        let listed = try await client.send(path: Self.list, headers: headers, body: HTTP2TestServer.frame(ProtobufWriter().string(1, "post-1").bytes))
        #expect(listed.body == (1...3).flatMap { HTTP2TestServer.frame(Self.comment(id: Int64($0))) })
        #expect(listed.trailer("grpc-status") == "0")
        let created = try await client.send(path: Self.create, headers: headers, body: HTTP2TestServer.frame(ProtobufWriter().string(1, "hi").bytes))
        #expect(created.body == HTTP2TestServer.frame(Self.comment(id: 99)))

        try await eventually("both reads are compared") {
            try await serve.metrics().value("tapcompare_comparisons_total") >= 2
        }
        try await client.close()
        #expect(try await serve.stop() == 0)
        #expect(legacy.requests.count == 3)
        #expect(Set(candidate.requests.compactMap { $0.header(":path") }) == [Self.get, Self.list])

        let found = try await Self.discrepancies(ledger: "sqlite:\(directory)/ledger.sqlite")
        #expect(found[Self.get] == ["/messages/0/status value_changed \"VISIBLE\" \"HIDDEN\""])
        #expect(found[Self.list] == ["/messages/0/tags/1 missing_in_candidate", "/messages/2 missing_in_candidate"])
        #expect(found[Self.create] == nil)
        // A gRPC call is named by its method, as diff-rules name it.
        #expect(try await ServeProcess.rows(ledger: "sqlite:\(directory)/ledger.sqlite").map(\.route).sorted() == [Self.get, Self.list])
        // Each side's status and messages, as JSON with their size on the wire, are in the ledger beside the route.
        let stored = try await LedgerReaders.withReader(url: try LedgerURL(parsing: "sqlite:\(directory)/ledger.sqlite"), logger: ServeHarness.logger) { database in
            try await database.query(
                "SELECT route, protocol, legacy_grpc_status, candidate_grpc_status, legacy_grpc_messages, candidate_grpc_messages FROM comparisons ORDER BY route", []
            ).map { [$0.string(0), $0.string(1), $0.string(2), $0.string(3), $0.string(4), $0.string(5)] }
        }
        #expect(stored.map { $0[1] } == ["grpc", "grpc"])
        #expect(stored.map { [$0[2], $0[3]] } == [["0", "0"], ["0", "0"]])
        let getRow = try #require(stored.first { $0[0] == Self.get })
        #expect(getRow[4]?.hasPrefix(#"[{"bytes":\#(Self.comment(id: 7).count),"message":{"id":"7""#) == true, "\(getRow[4] ?? "nil")")
        #expect(getRow[5]?.contains(#""status":"HIDDEN""#) == true, "\(getRow[5] ?? "nil")")
        let listRow = try #require(stored.first { $0[0] == Self.list })
        #expect(listRow[4]?.components(separatedBy: #"{"bytes":"#).count == 4, "legacy's three messages")
        try await legacy.shutdown()
        try await candidate.shutdown()
    }

    /// Each route's discrepancies as `path kind [legacy candidate]`, values only for changed values.
    static func discrepancies(ledger: String) async throws -> [String: [String]] {
        try await LedgerReaders.withReader(url: try LedgerURL(parsing: ledger), logger: ServeHarness.logger) { database in
            let rows = try await database.query("SELECT route, path, kind, legacy_value, candidate_value FROM discrepancies ORDER BY route, path", [])
            var found: [String: [String]] = [:]
            for row in rows {
                var line = "\(row.string(1) ?? "") \(row.string(2) ?? "")"
                if row.string(2) == "value_changed" { line += " \(row.string(3) ?? "nil") \(row.string(4) ?? "nil")" }
                found[row.string(0) ?? "", default: []].append(line)
            }
            return found
        }
    }
}
