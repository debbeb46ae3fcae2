import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Applies ``LocalRequestPolicy`` on a listener that has no token: every request but the health probes must be
/// addressed to this listener, and state-changing ones must be same-origin JSON. A refusal is JSON like the API's
/// errors (`{"error": "…"}`).
public struct LocalRequestMiddleware<Context: RequestContext>: RouterMiddleware {
    let policy: LocalRequestPolicy
    let port: @Sendable () -> Int?

    static var secFetchSite: HTTPField.Name { HTTPField.Name("Sec-Fetch-Site")! }
    static var host: HTTPField.Name { HTTPField.Name("Host")! }

    /// - Parameters:
    ///   - listenHost: The host the listener binds.
    ///   - port: The port it is bound to, known once it listens (with port 0, the one picked).
    public init(listenHost: String, port: @escaping @Sendable () -> Int?) {
        self.policy = LocalRequestPolicy(listenHost: listenHost)
        self.port = port
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if BearerTokenMiddleware<Context>.probePaths.contains(request.uri.path) {
            return try await next(request, context)
        }
        // The first `Host` becomes the authority; any other stays a field (and makes the request ambiguous).
        var hosts = request.head.authority.map { [$0] } ?? []
        hosts += request.headers[values: Self.host]
        let seen = LocalRequestPolicy.Request(
            method: request.method.rawValue,
            hosts: hosts,
            origin: request.headers[.origin],
            secFetchSite: request.headers[Self.secFetchSite],
            contentType: request.headers[.contentType]
        )
        // A request cannot arrive before the listener is bound; should it, it is refused rather than guessed at.
        guard let port = self.port() else {
            return ReviewAPI.json(ReviewAPI.ErrorAnswer(error: "the listener is starting"), status: .serviceUnavailable)
        }
        if let refusal = self.policy.check(seen, port: port) {
            return ReviewAPI.json(ReviewAPI.ErrorAnswer(error: refusal.message), status: HTTPResponse.Status(code: refusal.status))
        }
        return try await next(request, context)
    }
}
