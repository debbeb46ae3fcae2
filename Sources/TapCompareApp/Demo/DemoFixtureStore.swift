import NIOCore
import TapCompareCapture

/// The comment data the demo services serve: the recorded legacy responses of a capture, found by request id
/// (so a replayed or proxied request gets exactly its recorded answer, even when the same URL answered
/// differently before and after an edit) or, for a request id the capture does not know, by method and URI
/// (the last recorded answer).
public struct DemoFixtureStore: Sendable {
    public struct Entry: Sendable {
        public var route: String
        public var status: Int
        /// Legacy's recorded response headers, `X-Request-Id` aside (each answer echoes the request's own).
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]
        /// The demo candidate's body: ``body`` through ``DemoRegressions``, computed once when the store is built.
        public var candidateBody: [UInt8]
        /// Legacy's recorded latency, which the demo legacy reproduces.
        public var legacyLatencyMS: Double
    }

    private let byRequestID: [String: Entry]
    private let byTarget: [String: Entry]

    public init(records: [CaptureRecord]) throws {
        var byRequestID: [String: Entry] = [:]
        var byTarget: [String: Entry] = [:]
        for record in records {
            let body = try record.legacy.body?.bytes() ?? ByteBuffer()
            let entry = Entry(
                route: record.route,
                status: record.legacy.status,
                headers: record.legacy.headers.filter { $0.name.lowercased() != "x-request-id" }.map { ($0.name, $0.value) },
                body: Array(body.readableBytesView),
                candidateBody: DemoRegressions.apply(route: record.route, to: Array(body.readableBytesView)),
                legacyLatencyMS: record.legacy.latencyMS
            )
            byRequestID[record.requestID] = entry
            byTarget[record.request.method + " " + record.request.uri] = entry
        }
        self.byRequestID = byRequestID
        self.byTarget = byTarget
    }

    /// Loads a capture file (the default demo data is `fixtures/comments.capture.jsonl`).
    public init(path: String) throws {
        try self.init(records: CaptureFile.read(path: path))
    }

    public func entry(requestID: String?, method: String, uri: String) -> Entry? {
        if let requestID, let e = self.byRequestID[requestID] { return e }
        return self.byTarget[method + " " + uri]
    }

    public var count: Int { self.byRequestID.count }
}
