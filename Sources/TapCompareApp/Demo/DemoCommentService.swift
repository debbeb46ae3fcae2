import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The example comment services of `tapcompare demo`: a legacy that serves the fixture data in its recorded
/// time, and a candidate that serves the same data through ``DemoRegressions`` and faster.
///
/// Both are real HTTP servers (Hummingbird) on `127.0.0.1`, port 0 by default, so tests of any issue can put the
/// proxy or `replay` in front of them.
public struct DemoCommentService: Sendable {
    public enum Role: String, Sendable, CaseIterable {
        case legacy
        case candidate
    }

    public let role: Role
    public let store: DemoFixtureStore
    public let latency: DemoLatency
    /// Sees every request (method, URI, headers) before it is answered: lets tests check what arrived.
    public let observer: (@Sendable (String, String, [(String, String)]) -> Void)?
    /// Where a created comment is stored before the write is answered (legacy's store or the candidate's sister
    /// store). Default: nowhere.
    public let records: DemoCommentRecords?

    public init(
        role: Role,
        store: DemoFixtureStore,
        latency: DemoLatency = DemoLatency(),
        observer: (@Sendable (String, String, [(String, String)]) -> Void)? = nil,
        records: DemoCommentRecords? = nil
    ) {
        self.records = records
        self.role = role
        self.store = store
        self.latency = latency
        self.observer = observer
    }

    /// The write route whose comments are stored in ``records``.
    public static let writeRoute = "POST /api/v1/comments"
    /// The build the candidate names in its `X-Version` response header: `tapcompare demo` records it
    /// (`comparison.version_header`), so the report lists it with each problem.
    public static let candidateVersion = "go-2.0.0"

    /// Answers one request.
    func respond(method: String, uri: String, requestID: String?) async -> Response {
        var headers = HTTPFields()
        if let requestID { headers[.init("X-Request-Id")!] = requestID }
        guard let entry = self.store.entry(requestID: requestID, method: method, uri: uri) else {
            headers[.contentType] = "application/json"
            let body = #"{"error":{"code":"not_found","message":"not in the demo data"}}"#
            return Response(status: .notFound, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        }
        let delay: Duration
        let body: [UInt8]
        switch self.role {
        case .legacy:
            delay = self.latency.legacy(recordedMS: entry.legacyLatencyMS)
            body = entry.body
            for (name, value) in entry.headers {
                if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
            }
        case .candidate:
            delay = self.latency.candidate(recordedMS: entry.legacyLatencyMS, requestID: requestID ?? uri)
            body = entry.candidateBody
            // The Go service sets the same Content-Type and Cache-Control as the monolith, but no Vary.
            for (name, value) in entry.headers where ["content-type", "cache-control"].contains(name.lowercased()) {
                if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
            }
            headers[.init("X-Version")!] = Self.candidateVersion
        }
        if let records = self.records, method == "POST", entry.route == Self.writeRoute, entry.status == 201 {
            // The record lands in the store before the write is answered, as in the real services.
            let storeBody: (String) -> String
            switch self.role {
            case .legacy: storeBody = { $0 }
            case .candidate: storeBody = { DemoRegressions.storedBody($0) }
            }
            do {
                try await records.insert(created: body, storeBody: storeBody)
            } catch {
                headers[.contentType] = "application/json"
                let text = #"{"error":{"code":"store_failed","message":"the comment could not be stored"}}"#
                return Response(status: .internalServerError, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
            }
        }
        if delay > .zero { try? await Task.sleep(for: delay) }
        return Response(
            status: HTTPResponse.Status(code: entry.status),
            headers: headers,
            body: entry.status == 204 ? ResponseBody() : ResponseBody(byteBuffer: ByteBuffer(bytes: body))
        )
    }

    /// The Hummingbird application serving this role.
    /// - Parameter onRunning: called with the bound port once the server listens.
    public func application(
        host: String = "127.0.0.1",
        port: Int = 0,
        logger: Logger = Logger(label: "tapcompare.demo"),
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol & Service {
        let service = self
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            if let observer = service.observer {
                observer(request.method.rawValue, request.uri.string, request.headers.map { ($0.name.rawName, $0.value) })
            }
            return await service.respond(
                method: request.method.rawValue,
                uri: request.uri.string,
                requestID: request.headers[.init("X-Request-Id")!]
            )
        }
        return Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }
}
