import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix
import TapCompareCapture

/// Sends a capture's requests, as a client would, to a URL (the proxy in `tapcompare demo`).
///
/// Requests keep their captured `X-Request-Id`, so the demo services answer each with its recorded response.
/// Unlike `replay` nothing is compared here: the proxy does that.
public struct DemoTrafficDriver: Sendable {
    public struct Result: Sendable {
        public var sent = 0
        /// Responses by status code, as the client saw them.
        public var statuses: [Int: Int] = [:]
        /// Requests that got no response, by the client's error (e.g. `HTTPClientError.readTimeout`).
        public var failureReasons: [String: Int] = [:]
        /// Requests sent a second time because the pooled connection they were given had just closed before they
        /// left (see ``DemoTrafficDriver/send(_:)``); each is in ``statuses`` or ``failureReasons`` once.
        public var resent = 0
        public var failures: Int { self.failureReasons.values.reduce(0, +) }

        /// What the client saw, for the demo's summary: statuses, failures by reason, requests sent again.
        public var summary: String {
            var parts = [self.statuses.sorted { $0.key < $1.key }.map { "\($0.value)× \($0.key)" }.joined(separator: ", ")]
            if self.failures > 0 {
                let reasons = self.failureReasons.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
                parts.append("\(self.failures) failed: " + reasons.joined(separator: ", "))
            }
            if self.resent > 0 { parts.append("\(self.resent) sent again after their connection closed before they left") }
            return parts.joined(separator: ", ")
        }
    }

    /// What one request came to.
    enum Answer: Sendable, Equatable {
        case status(Int, resent: Bool)
        case failed(String, resent: Bool)
    }

    public let target: String
    public let concurrency: Int
    /// How long connecting to the target may take. Default ``defaultConnectTimeout``.
    public let connectTimeout: TimeAmount
    /// How long one request may take, answer included. Default ``defaultTimeout``.
    public let timeout: TimeAmount

    /// 2 s: the target is on this machine.
    public static let defaultConnectTimeout: TimeAmount = .seconds(2)
    public static let defaultTimeout: TimeAmount = .seconds(30)

    public init(
        target: String,
        concurrency: Int = 8,
        connectTimeout: TimeAmount = Self.defaultConnectTimeout,
        timeout: TimeAmount = Self.defaultTimeout
    ) {
        self.target = target
        self.concurrency = concurrency
        self.connectTimeout = connectTimeout
        self.timeout = timeout
    }

    public func drive(_ records: [CaptureRecord]) async throws -> Result {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.timeout = .init(connect: self.connectTimeout, read: self.timeout)
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        var result = Result()
        do {
            try await withThrowingTaskGroup(of: Answer.self) { group in
                var inFlight = 0
                for record in records {
                    if inFlight >= self.concurrency, let answer = try await group.next() {
                        inFlight -= 1
                        Self.count(answer, into: &result)
                    }
                    let request = try self.request(for: record)
                    group.addTask {
                        await Self.send {
                            let response = try await client.execute(request, timeout: self.timeout)
                            _ = try await response.body.collect(upTo: 64 << 20)
                            return Int(response.status.code)
                        }
                    }
                    inFlight += 1
                }
                for try await answer in group { Self.count(answer, into: &result) }
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return result
    }

    /// Sends one request with `attempt` (which returns the answer's status once its body is read).
    ///
    /// A connection the client's pool opened and left unused is closed by the proxy at its `listener.header_timeout`;
    /// one handed out just as that close arrives fails with `ioOnClosedChannel` before any byte of the request left.
    /// The request is then sent once more, on another connection, as browsers and Go's client do: it never reached
    /// the proxy. Only once: a second such failure, like any other error, is the request's answer.
    static func send(_ attempt: () async throws -> Int) async -> Answer {
        var resent = false
        while true {
            do {
                return .status(try await attempt(), resent: resent)
            } catch let error as ChannelError where error == .ioOnClosedChannel && !resent {
                resent = true
            } catch {
                return .failed(String(describing: error), resent: resent)
            }
        }
    }

    static func count(_ answer: Answer, into result: inout Result) {
        result.sent += 1
        switch answer {
        case .status(let status, let resent):
            result.statuses[status, default: 0] += 1
            if resent { result.resent += 1 }
        case .failed(let reason, let resent):
            result.failureReasons[reason, default: 0] += 1
            if resent { result.resent += 1 }
        }
    }

    private func request(for record: CaptureRecord) throws -> HTTPClientRequest {
        var request = HTTPClientRequest(url: self.target + record.request.uri)
        request.method = HTTPMethod(rawValue: record.request.method)
        for header in record.request.headers {
            let name = header.name.lowercased()
            if name == "host" || name == "content-length" || name == "connection" || name == "transfer-encoding" { continue }
            request.headers.add(name: header.name, value: header.value)
        }
        if let body = record.request.body {
            request.body = .bytes(try body.bytes())
        }
        return request
    }
}
