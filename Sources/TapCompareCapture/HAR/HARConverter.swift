import Foundation
import NIOCore
import TapCompareCore

/// Converts between HAR 1.2 and capture records.
///
/// Import: each entry's response becomes the legacy response and there is no candidate (unless the HAR came from
/// our own export). HAR `content.text` is the *decoded* body, so `Content-Encoding` and `Content-Length` are
/// dropped from imported responses: keeping them would describe bytes we do not have. Pseudo-headers (`:path`)
/// of HTTP/2 captures are dropped and `Host` is added from the URL when missing.
public enum HARConverter {
    // MARK: Import

    /// - Throws: ``CaptureError`` naming the entry (0-based index) and the field that is wrong.
    public static func records(from document: HARDocument) throws(CaptureError) -> [CaptureRecord] {
        var records: [CaptureRecord] = []
        records.reserveCapacity(document.log.entries.count)
        for (index, entry) in document.log.entries.enumerated() {
            do {
                records.append(try self.record(from: entry, index: index))
            } catch {
                throw .invalidHAR("log.entries[\(index)]: \(error)")
            }
        }
        return records
    }

    static func record(from entry: HARDocument.Entry, index: Int) throws(CaptureError) -> CaptureRecord {
        let ext = entry.tapcompare
        guard let started = CaptureTime.parse(entry.startedDateTime) else {
            throw .invalidHAR("startedDateTime '\(entry.startedDateTime)' is not an ISO 8601 date")
        }
        let method = entry.request.method.uppercased()
        guard let (authority, target) = Self.split(url: entry.request.url) else {
            throw .invalidHAR("request.url '\(entry.request.url)' is not an absolute http(s) URL")
        }
        let uri = ext?.uri ?? target
        var requestHeaders = entry.request.headers.filter { !$0.name.hasPrefix(":") }.map { CaptureRecord.Header($0.name, $0.value) }
        if !requestHeaders.contains(where: { $0.name.lowercased() == "host" }), !authority.isEmpty {
            requestHeaders.insert(CaptureRecord.Header("Host", authority), at: 0)
        }
        var requestBody: CaptureBody?
        if let post = entry.request.postData, let text = post.text, !text.isEmpty {
            let isBase64 = (post.encoding ?? post.customEncoding)?.lowercased() == "base64"
            requestBody = CaptureBody(encoding: isBase64 ? .base64 : .utf8, data: text)
            _ = try requestBody!.bytes()
        } else if let post = entry.request.postData, let params = post.params, !params.isEmpty {
            let contentType = requestHeaders.last { $0.name.lowercased() == "content-type" }?.value ?? post.mimeType
            requestBody = CaptureBody(encoding: .utf8, data: try HARPostParams.body(params, contentType: contentType))
        }
        // A body the browser did not keep (no postData, or content without text: Chrome and Firefox leave it out
        // above their limits) is not an empty body: its recorded size is kept with no body, so replay skips the
        // exchange as incomplete instead of sending an empty request or comparing against an empty answer.
        let requestLength = try requestBody?.bytes().readableBytes ?? max(0, entry.request.bodySize ?? 0)

        var responseBody: CaptureBody?
        if let text = entry.response.content.text, !text.isEmpty {
            let isBase64 = entry.response.content.encoding?.lowercased() == "base64"
            responseBody = CaptureBody(encoding: isBase64 ? .base64 : .utf8, data: text)
        }
        let responseLength = try responseBody?.bytes().readableBytes ?? Self.unkeptLength(of: entry.response)
        let fromOurExport = ext != nil
        let responseHeaders = entry.response.headers
            .filter { !$0.name.hasPrefix(":") }
            .filter { h in
                fromOurExport || !["content-encoding", "content-length"].contains(h.name.lowercased())
            }
            .map { CaptureRecord.Header($0.name, $0.value) }
        guard (100...999).contains(entry.response.status) else {
            throw .invalidHAR("response.status \(entry.response.status) is not an HTTP status (a failed request in the browser?)")
        }
        let requestID = ext?.requestID
            ?? requestHeaders.first(where: { $0.name.lowercased() == "x-request-id" })?.value
            ?? "har-\(index + 1)"
        let path = uri.firstIndex(of: "?").map { uri[..<$0] } ?? uri[...]
        return CaptureRecord(
            id: ext?.id ?? UUID.v7(at: started).lowercasedText,
            requestID: requestID,
            route: ext?.route ?? RouteNamer.derive(method: method, path: path),
            startedAt: CaptureTime.format(started),
            request: CaptureRecord.Request(
                method: method,
                uri: uri,
                httpVersion: Self.captureVersion(entry.request.httpVersion),
                headers: requestHeaders,
                body: requestBody,
                bodyLength: requestLength
            ),
            legacy: CaptureRecord.Response(
                status: entry.response.status,
                httpVersion: Self.captureVersion(entry.response.httpVersion),
                headers: responseHeaders,
                body: responseBody,
                bodyLength: responseLength,
                latencyMS: max(0, entry.time)
            ),
            candidate: ext?.candidate,
            runID: ext?.runID
        )
    }

    /// The length of a response body the HAR has no text for: `content.size` (the decoded body), else `bodySize`
    /// (as transferred); 0 when neither says (-1 is HAR's "unknown").
    static func unkeptLength(of response: HARDocument.Response) -> Int {
        max(0, response.content.size ?? response.bodySize ?? 0)
    }

    /// `(authority, path-and-query)` of an absolute URL, the target kept exactly as written (no re-encoding).
    static func split(url: String) -> (String, String)? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let rest = url[schemeEnd.upperBound...]
        let slash = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = String(rest[..<slash])
        var target = String(rest[slash...])
        if let hash = target.firstIndex(of: "#") { target = String(target[..<hash]) }
        if target.isEmpty || target.first == "?" { target = "/" + target }
        return (authority, target)
    }

    static func captureVersion(_ har: String) -> String {
        switch har.uppercased() {
        case "HTTP/1.0": return "1.0"
        case "HTTP/2", "HTTP/2.0", "H2": return "2"
        case "HTTP/3", "HTTP/3.0", "H3": return "3"
        default: return "1.1"
        }
    }

    static func harVersion(_ capture: String) -> String {
        switch capture {
        case "1.0": return "HTTP/1.0"
        case "2": return "HTTP/2.0"
        case "3": return "HTTP/3.0"
        default: return "HTTP/1.1"
        }
    }

    // MARK: Export

    /// A HAR 1.2 document with the legacy responses, each entry carrying `_tapcompare` for a lossless round trip.
    public static func document(from records: [CaptureRecord], creatorVersion: String = "1") -> HARDocument {
        HARDocument(log: HARDocument.Log(
            version: "1.2",
            creator: HARDocument.Creator(name: "tapcompare", version: creatorVersion),
            entries: records.map(Self.entry(from:))
        ))
    }

    static func entry(from record: CaptureRecord) -> HARDocument.Entry {
        let host = record.request.headers.first { $0.name.lowercased() == "host" }?.value ?? "localhost"
        let url = "http://\(host)\(record.request.uri)"
        let query = Self.queryString(record.request.uri)
        let contentType = { (headers: [CaptureRecord.Header]) in
            headers.first { $0.name.lowercased() == "content-type" }?.value
        }
        var postData: HARDocument.PostData?
        if let body = record.request.body {
            postData = HARDocument.PostData(
                mimeType: contentType(record.request.headers) ?? "application/octet-stream",
                text: body.data,
                encoding: nil,
                customEncoding: body.encoding == .base64 ? "base64" : nil
            )
        }
        let response = record.legacy
        return HARDocument.Entry(
            startedDateTime: record.startedAt,
            time: response.latencyMS,
            request: HARDocument.Request(
                method: record.request.method,
                url: url,
                httpVersion: Self.harVersion(record.request.httpVersion),
                cookies: [],
                headers: record.request.headers.map { HARDocument.NameValue(name: $0.name, value: $0.value) },
                queryString: query,
                postData: postData,
                headersSize: -1,
                bodySize: record.request.bodyLength
            ),
            response: HARDocument.Response(
                status: response.status,
                statusText: HTTPReasonPhrase.phrase(response.status),
                httpVersion: Self.harVersion(response.httpVersion),
                cookies: [],
                headers: response.headers.map { HARDocument.NameValue(name: $0.name, value: $0.value) },
                content: HARDocument.Content(
                    size: response.bodyLength,
                    mimeType: contentType(response.headers) ?? "",
                    text: response.body?.data,
                    encoding: response.body?.encoding == .base64 ? "base64" : nil
                ),
                redirectURL: response.headers.first { $0.name.lowercased() == "location" }?.value ?? "",
                headersSize: -1,
                bodySize: response.bodyLength
            ),
            cache: HARDocument.Cache(),
            timings: HARDocument.Timings(send: 0, wait: response.latencyMS, receive: 0),
            tapcompare: HARDocument.TapCompareExtension(
                id: record.id,
                requestID: record.requestID,
                route: record.route,
                uri: record.request.uri,
                candidate: record.candidate,
                runID: record.runID
            )
        )
    }

    /// The query string as name/value pairs, percent-decoded as HAR viewers expect (`+` is a space).
    static func queryString(_ uri: String) -> [HARDocument.NameValue] {
        guard let q = uri.firstIndex(of: "?") else { return [] }
        return uri[uri.index(after: q)...].split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            return HARDocument.NameValue(name: decode(parts[0]), value: parts.count > 1 ? decode(parts[1]) : "")
        }
    }
}
