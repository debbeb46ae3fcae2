/// One captured exchange: one line of a capture file (JSON Lines, format documented in `fixtures/README.md`).
///
/// The model mirrors ``TapCompareCore/Exchange`` but in the shape of the file: snake_case keys, headers as
/// ordered `[name, value]` pairs (repeated headers kept), latencies in fractional milliseconds, bodies as
/// ``CaptureBody`` (UTF-8 text or base64).
public struct CaptureRecord: Sendable, Hashable, Codable {
    /// The format version this build writes. Version 2 added trailers (`request.trailers`, `*.trailers`) and
    /// writes gRPC bodies as base64; version 1 lines (no trailers) are still read.
    public static let currentVersion = 2
    /// The format versions this build reads.
    public static let readableVersions = 1...CaptureRecord.currentVersion

    public var version: Int
    /// The comparison id of the exchange (UUID text), unique across instances.
    public var id: String
    /// The request id passed to both upstreams in `X-Request-Id`.
    public var requestID: String
    /// The route template that named the request, e.g. `GET /api/v1/comments/{id}`.
    public var route: String
    /// When the request arrived, RFC 3339 with milliseconds in UTC.
    public var startedAt: String
    public var request: Request
    public var legacy: Response
    public var candidate: Candidate?
    /// The replay run that produced the exchange, absent for live traffic.
    public var runID: String?

    public init(
        version: Int = CaptureRecord.currentVersion,
        id: String,
        requestID: String,
        route: String,
        startedAt: String,
        request: Request,
        legacy: Response,
        candidate: Candidate?,
        runID: String? = nil
    ) {
        self.version = version
        self.id = id
        self.requestID = requestID
        self.route = route
        self.startedAt = startedAt
        self.request = request
        self.legacy = legacy
        self.candidate = candidate
        self.runID = runID
    }

    enum CodingKeys: String, CodingKey {
        case version, id, route, request, legacy, candidate
        case requestID = "request_id"
        case startedAt = "started_at"
        case runID = "run_id"
    }

    /// The request as the proxy received it.
    public struct Request: Sendable, Hashable, Codable {
        public var method: String
        /// Path and query exactly as received.
        public var uri: String
        /// `1.1`, `1.0` or `2`.
        public var httpVersion: String
        public var headers: [Header]
        public var body: CaptureBody?
        /// The number of body bytes the client sent; larger than the body's when the copy was capped.
        public var bodyLength: Int
        /// Trailers the client sent after the body (version 2; written only when there are some).
        public var trailers: [Header]

        public init(
            method: String, uri: String, httpVersion: String = "1.1", headers: [Header], body: CaptureBody?, bodyLength: Int,
            trailers: [Header] = []
        ) {
            self.method = method
            self.uri = uri
            self.httpVersion = httpVersion
            self.headers = headers
            self.body = body
            self.bodyLength = bodyLength
            self.trailers = trailers
        }

        enum CodingKeys: String, CodingKey {
            case method, uri, headers, body, trailers
            case httpVersion = "http_version"
            case bodyLength = "body_length"
        }
    }

    /// A complete upstream response.
    public struct Response: Sendable, Hashable, Codable {
        public var status: Int
        public var httpVersion: String
        public var headers: [Header]
        public var body: CaptureBody?
        public var bodyLength: Int
        public var latencyMS: Double
        /// The response's trailers: gRPC's `grpc-status`, `grpc-message` and trailing metadata (version 2; written
        /// only when there are some).
        public var trailers: [Header]

        public init(
            status: Int, httpVersion: String = "1.1", headers: [Header], body: CaptureBody?, bodyLength: Int, latencyMS: Double,
            trailers: [Header] = []
        ) {
            self.status = status
            self.httpVersion = httpVersion
            self.headers = headers
            self.body = body
            self.bodyLength = bodyLength
            self.latencyMS = latencyMS
            self.trailers = trailers
        }

        enum CodingKeys: String, CodingKey {
            case status, headers, body, trailers
            case httpVersion = "http_version"
            case bodyLength = "body_length"
            case latencyMS = "latency_ms"
        }
    }

    /// What became of the candidate call: a response, or why there is none.
    public struct Candidate: Sendable, Hashable, Codable {
        public enum Result: String, Sendable, Hashable, Codable {
            case response
            case failed
            case timedOut = "timed_out"
            case skipped
        }

        public var result: Result
        /// Present when ``result`` is ``Result/response``.
        public var response: Response?
        /// Why the call failed or was skipped.
        public var reason: String?
        /// For ``Result/failed`` and ``Result/timedOut``: how long the call took before it ended.
        public var latencyMS: Double?

        public init(result: Result, response: Response? = nil, reason: String? = nil, latencyMS: Double? = nil) {
            self.result = result
            self.response = response
            self.reason = reason
            self.latencyMS = latencyMS
        }

        enum CodingKeys: String, CodingKey {
            case result, response, reason
            case latencyMS = "latency_ms"
        }
    }

    /// One header line. Encoded as a two-element array `["Name", "value"]` so order and repeats survive.
    public struct Header: Sendable, Hashable, Codable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }

        public init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            self.name = try container.decode(String.self)
            self.value = try container.decode(String.self)
            guard container.isAtEnd else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "a header is [name, value]")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.unkeyedContainer()
            try container.encode(self.name)
            try container.encode(self.value)
        }
    }
}
