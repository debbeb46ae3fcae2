import Hummingbird

/// Requires `Authorization: Bearer <token>` on every request except the health probes, which load balancers call
/// without credentials, and the paths the mounted routes declare public (the review UI's static shell, which holds
/// no data and must load to ask for the token).
///
/// Used by `serve`'s admin listener (`admin.token`) and by `tapcompare ui --token-file`/`TAPCOMPARE_UI_TOKEN`.
/// No cookie is ever set: a browser never sends the token by itself, so a token-guarded listener needs no
/// cross-site checks (``LocalRequestMiddleware`` guards listeners without one).
public struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]
    let openPaths: Set<String>
    public static var probePaths: Set<String> { ["/healthz", "/readyz"] }

    /// - Parameters:
    ///   - token: The bearer token.
    ///   - publicPaths: Exact paths served without it, besides ``probePaths``. Default none.
    public init(token: String, publicPaths: Set<String> = []) {
        self.token = Array(token.utf8)
        self.openPaths = Self.probePaths.union(publicPaths)
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if self.openPaths.contains(request.uri.path) {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            TokenComparison.constantTimeEquals(Array(header.utf8.dropFirst(7)), self.token)
        else {
            var response = Response(status: .unauthorized, body: .init(byteBuffer: ByteBuffer(string: "admin token required\n")))
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        return try await next(request, context)
    }
}

/// Token comparison without an early exit.
enum TokenComparison {
    /// Compares without an early exit, so response time does not reveal how much of a guess was right.
    ///
    /// The lengths are compared as whole integers: folding their difference into a byte would make lengths that
    /// differ by a multiple of 256 compare equal (a token followed by 256 NUL bytes).
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference: UInt8 = 0
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0 && a.count == b.count
    }
}
