import Foundation
import NIOCore
import NIOHTTP1
import TapCompareCapture
import TapCompareCore
import TapCompareTestSupport
import Testing

@Suite struct HARTests {
    @Test func importsAHandWrittenDevToolsExport() throws {
        let records = try HARFile.read(path: TestPaths.fixture("har/devtools-export.har"))
        #expect(records.count == 3)

        let listing = records[0]
        #expect(listing.request.method == "GET")
        #expect(listing.request.uri == "/api/v1/posts/48213/comments?sort=top&limit=10")
        #expect(listing.route == "GET /api/v1/posts/{id}/comments")
        #expect(listing.requestID == "7f3c2a9e-1b4d-4c8e-9a77-0d5e6f1a2b3c")
        // Repeated headers stay repeated and in order.
        #expect(listing.request.headers.filter { $0.name == "Accept-Language" }.map(\.value) == ["en-US", "he-IL;q=0.8"])
        #expect(listing.legacy.headers.filter { $0.name == "Vary" }.map(\.value) == ["Accept-Encoding", "Authorization"])
        #expect(listing.legacy.headers.filter { $0.name == "Set-Cookie" }.count == 2)
        // HAR content.text is decoded: the encoding headers that described other bytes are dropped.
        #expect(!listing.legacy.headers.contains { $0.name == "Content-Encoding" || $0.name == "Content-Length" })
        let body = try listing.exchange().legacy.body
        #expect(String(buffer: body).contains("שלום 👋"))
        #expect(String(buffer: body).contains("1790123464698628986"))
        #expect(listing.legacy.latencyMS == 38.217)
        #expect(listing.candidate == nil)
        // +01:00 offset read as the same instant, written in UTC.
        #expect(listing.startedAt == "2026-11-20T13:03:11.204Z")

        let upload = try records[1].exchange()
        #expect(upload.request.method == .POST)
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        #expect(Array(upload.request.body.readableBytesView.prefix(8)) == png)
        #expect(upload.request.body.readableBytes == 35)
        #expect(Array(upload.legacy.body.readableBytesView.suffix(2)) == [0xFF, 0xFE])
        #expect(records[1].legacy.body?.encoding == .base64)
        #expect(records[1].request.headers.first { $0.name == "Host" }?.value == "comments.example.com")

        let delete = records[2]
        #expect(delete.request.httpVersion == "2")
        #expect(delete.legacy.status == 204)
        #expect(delete.legacy.body == nil)
        #expect(!delete.request.headers.contains { $0.name.hasPrefix(":") })
        #expect(delete.request.headers.first?.name == "Host")
    }

    @Test func exportThenImportGivesTheCaptureBack() throws {
        let original = try CaptureFile.read(path: TestPaths.fixture("comments.capture.jsonl"))
        let dir = try TestPaths.temporaryDirectory()
        let har = dir.appendingPathComponent("out.har").path
        try HARFile.write(original, path: har)
        // The export is plain HAR 1.2 a viewer can open.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: har))) as! [String: Any]
        let log = json["log"] as! [String: Any]
        #expect(log["version"] as? String == "1.2")
        #expect((log["entries"] as! [Any]).count == original.count)
        let back = try HARFile.read(path: har)
        #expect(back == ReplayTests.asWritten(original))
        // Written again, the capture is the same bytes as the generator's file (format version 1) but for the
        // version this build writes: one format, one spelling.
        let again = dir.appendingPathComponent("again.jsonl").path
        try CaptureFile.write(back, path: again)
        let generated = String(decoding: try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("comments.capture.jsonl"))), as: UTF8.self)
        let expected = generated.replacingOccurrences(of: #"{"version":1,"#, with: #"{"version":\#(CaptureRecord.currentVersion),"#)
        #expect(expected != generated)
        #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: again)), as: UTF8.self) == expected)
    }

    @Test func binaryBodiesExportAsBase64Content() throws {
        let records = try HARFile.read(path: TestPaths.fixture("har/devtools-export.har"))
        let document = HARConverter.document(from: records)
        #expect(document.log.entries[1].response.content.encoding == "base64")
        #expect(document.log.entries[1].request.postData?.customEncoding == "base64")
        #expect(document.log.entries[0].response.content.encoding == nil)
    }

    @Test("postData.params without text is imported: a form body, or multipart parts with the request's boundary")
    func postDataParamsAreImported() throws {
        func entry(_ contentType: String, _ params: String) -> String {
            """
              {"startedDateTime":"2026-11-20T13:03:12Z","time":1,"request":{"method":"POST","url":"https://c.example/api/v1/comments","httpVersion":"HTTP/1.1",
               "headers":[{"name":"Content-Type","value":"\(contentType)"}],"postData":{"mimeType":"\(contentType)","params":\(params)}},
               "response":{"status":201,"httpVersion":"HTTP/1.1","headers":[],"content":{"size":0}}}
            """
        }
        let form = entry("application/x-www-form-urlencoded", #"[{"name":"body","value":"hello world & more"},{"name":"post_id","value":"48213"},{"name":"tag","value":"ü"}]"#)
        let multipart = entry(
            "multipart/form-data; boundary=XyZ",
            #"[{"name":"caption","value":"a cat"},{"name":"photo","fileName":"cat.txt","contentType":"text/plain","value":"meow"}]"#
        )
        let text = #"{"log":{"version":"1.2","creator":{"name":"x","version":"1"},"entries":["# + form + "," + multipart + "]}}"
        let path = try TestPaths.temporaryDirectory().appendingPathComponent("params.har").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let records = try HARFile.read(path: path)
        #expect(String(buffer: try records[0].exchange().request.body) == "body=hello+world+%26+more&post_id=48213&tag=%C3%BC")
        #expect(String(buffer: try records[1].exchange().request.body) == [
            "--XyZ", #"Content-Disposition: form-data; name="caption""#, "", "a cat",
            "--XyZ", #"Content-Disposition: form-data; name="photo"; filename="cat.txt""#, "Content-Type: text/plain", "", "meow",
            "--XyZ--", "",
        ].joined(separator: "\r\n"))
    }

    @Test("a body the browser did not keep is imported as missing with its size, not as empty: replay skips the request, and the answer is not compared")
    func bodiesTheBrowserDidNotKeepAreNotEmpty() throws {
        let entries = [
            // Firefox above its response body limit, Chrome for a body it dropped: content has a size, no text.
            #"{"startedDateTime":"2026-11-20T13:03:12Z","time":1,"request":{"method":"GET","url":"https://c.example/api/v1/comments","httpVersion":"HTTP/1.1","headers":[],"bodySize":0},"response":{"status":200,"httpVersion":"HTTP/1.1","headers":[],"content":{"size":5123,"mimeType":"application/json"},"bodySize":1800}}"#,
            // A POST whose postData was not kept.
            #"{"startedDateTime":"2026-11-20T13:03:13Z","time":1,"request":{"method":"POST","url":"https://c.example/api/v1/comments","httpVersion":"HTTP/1.1","headers":[],"bodySize":42},"response":{"status":201,"httpVersion":"HTTP/1.1","headers":[],"content":{"size":0}}}"#,
            // Truly empty: size 0, and -1 (unknown) is not a length.
            #"{"startedDateTime":"2026-11-20T13:03:14Z","time":1,"request":{"method":"GET","url":"https://c.example/health","httpVersion":"HTTP/1.1","headers":[],"bodySize":-1},"response":{"status":204,"httpVersion":"HTTP/1.1","headers":[],"content":{"size":0},"bodySize":-1}}"#,
        ]
        let text = #"{"log":{"version":"1.2","creator":{"name":"x","version":"1"},"entries":["# + entries.joined(separator: ",") + "]}}"
        let path = try TestPaths.temporaryDirectory().appendingPathComponent("unkept.har").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let records = try HARFile.read(path: path)
        #expect(records[0].legacy.body == nil && records[0].legacy.bodyLength == 5123)
        #expect(try records[0].exchange().legacy.isBodyTruncated, "the comparison sees a body it does not have, not an empty one")
        #expect(records[1].request.body == nil && records[1].request.bodyLength == 42)
        #expect(records[2].legacy.bodyLength == 0 && records[2].request.bodyLength == 0)
        #expect(try !records[2].exchange().legacy.isBodyTruncated)

        let configuration = ReplayConfiguration(
            candidate: try ReplayTarget(parsing: "http://127.0.0.1:1", flag: "--candidate"), includeWrites: true, runID: "har"
        )
        let items = try ReplayTests.items(records, configuration)
        #expect(items.map(\.skipReason?.rawValue) == [nil, "request_body_truncated", nil])
    }

    @Test func aBrokenHARNamesTheFileAndTheEntry() throws {
        let dir = try TestPaths.temporaryDirectory()
        let path = dir.appendingPathComponent("bad.har").path
        let text = """
        {"log":{"version":"1.2","creator":{"name":"x","version":"1"},"entries":[
          {"startedDateTime":"2026-11-20T13:03:12Z","time":1,"request":{"method":"GET","url":"/relative","httpVersion":"HTTP/1.1","headers":[]},
           "response":{"status":200,"httpVersion":"HTTP/1.1","headers":[],"content":{"size":0}}}]}}
        """
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        #expect {
            try HARFile.read(path: path)
        } throws: { error in
            "\(error)" == "\(path): log.entries[0]: request.url '/relative' is not an absolute http(s) URL"
        }
        try Data("[1,2]".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: CaptureError.self) { try HARFile.read(path: path) }
    }
}
