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
        public var failures: Int { self.failureReasons.values.reduce(0, +) }
    }

    /// What one request came to.
    private enum Answer: Sendable {
        case status(Int)
        case failed(String)
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
                        do {
                            let response = try await client.execute(request, timeout: self.timeout)
                            _ = try await response.body.collect(upTo: 64 << 20)
                            return .status(Int(response.status.code))
                        } catch {
                            return .failed(String(describing: error))
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

    private static func count(_ answer: Answer, into result: inout Result) {
        result.sent += 1
        switch answer {
        case .status(let status): result.statuses[status, default: 0] += 1
        case .failed(let reason): result.failureReasons[reason, default: 0] += 1
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
