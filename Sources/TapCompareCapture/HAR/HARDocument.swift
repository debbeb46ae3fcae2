/// The HAR 1.2 document (http://www.softwareishard.com/blog/har-12-spec/), the fields TapCompare reads and writes.
///
/// Reading is lenient where producers differ (browsers omit `cookies`, `headersSize`, often `postData`; mitmproxy
/// writes `comment`s), strict where a replay needs the value (`method`, `url`, `status`).
/// Custom fields start with `_` as the spec asks: `_tapcompare` keeps what HAR has no place for (the route, the
/// request id and the candidate side), so export then import gives the capture back.
public struct HARDocument: Sendable, Hashable, Codable {
    public var log: Log

    public struct Log: Sendable, Hashable, Codable {
        public var version: String
        public var creator: Creator
        public var entries: [Entry]
    }

    public struct Creator: Sendable, Hashable, Codable {
        public var name: String
        public var version: String
    }

    public struct Entry: Sendable, Hashable, Codable {
        public var startedDateTime: String
        public var time: Double
        public var request: Request
        public var response: Response
        public var cache: Cache?
        public var timings: Timings?
        public var tapcompare: TapCompareExtension?

        enum CodingKeys: String, CodingKey {
            case startedDateTime, time, request, response, cache, timings
            case tapcompare = "_tapcompare"
        }
    }

    public struct NameValue: Sendable, Hashable, Codable {
        public var name: String
        public var value: String
    }

    public struct Request: Sendable, Hashable, Codable {
        public var method: String
        public var url: String
        public var httpVersion: String
        public var cookies: [NameValue]?
        public var headers: [NameValue]
        public var queryString: [NameValue]?
        public var postData: PostData?
        public var headersSize: Int?
        public var bodySize: Int?
    }

    public struct PostData: Sendable, Hashable, Codable {
        public var mimeType: String
        public var text: String?
        /// The posted parameters, which some producers record instead of `text` (HAR 1.2: the two are mutually
        /// exclusive); the importer rebuilds the body from them (``HARConverter``).
        public var params: [Param]?
        /// Not in HAR 1.2 for `postData`; several tools write `encoding` by analogy with `content`, so both
        /// spellings are read. Exported as `_encoding` (custom field).
        public var encoding: String?
        public var customEncoding: String?

        enum CodingKeys: String, CodingKey {
            case mimeType, text, params, encoding
            case customEncoding = "_encoding"
        }
    }

    /// One posted parameter: a form field, or a file of a multipart upload (`fileName`, `contentType`).
    public struct Param: Sendable, Hashable, Codable {
        public var name: String
        public var value: String?
        public var fileName: String?
        public var contentType: String?
    }

    public struct Response: Sendable, Hashable, Codable {
        public var status: Int
        public var statusText: String?
        public var httpVersion: String
        public var cookies: [NameValue]?
        public var headers: [NameValue]
        public var content: Content
        public var redirectURL: String?
        public var headersSize: Int?
        public var bodySize: Int?
    }

    public struct Content: Sendable, Hashable, Codable {
        public var size: Int?
        public var mimeType: String?
        public var text: String?
        /// `base64` when ``text`` is base64 (binary bodies).
        public var encoding: String?
    }

    public struct Cache: Sendable, Hashable, Codable {}

    public struct Timings: Sendable, Hashable, Codable {
        public var send: Double
        public var wait: Double
        public var receive: Double
    }

    /// What TapCompare adds to an entry so a HAR export keeps all of a capture record.
    public struct TapCompareExtension: Sendable, Hashable, Codable {
        public var id: String?
        public var requestID: String?
        public var route: String?
        public var uri: String?
        public var candidate: CaptureRecord.Candidate?
        public var runID: String?

        enum CodingKeys: String, CodingKey {
            case id, route, uri, candidate
            case requestID = "request_id"
            case runID = "run_id"
        }
    }
}
