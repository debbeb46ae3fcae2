import Hummingbird

/// Requires `Authorization: Bearer <admin.token>` on every admin request except the health probes, which load
/// balancers call without credentials, and the paths the mounted routes declare public (the review UI's static
/// shell, which holds no data and must load to ask for the token).
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]
    let openPaths: Set<String>
    static var probePaths: Set<String> { ["/healthz", "/readyz"] }

    /// - Parameters:
    ///   - token: The bearer token.
    ///   - publicPaths: Exact paths served without it, besides ``probePaths``. Default none.
    init(token: String, publicPaths: Set<String> = []) {
        self.token = Array(token.utf8)
        self.openPaths = Self.probePaths.union(publicPaths)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if self.openPaths.contains(request.uri.path) {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            Self.constantTimeEquals(Array(header.utf8.dropFirst(7)), self.token)
        else {
            var response = Response(status: .unauthorized, body: .init(byteBuffer: ByteBuffer(string: "admin token required\n")))
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        return try await next(request, context)
    }

    /// Compares without an early exit, so response time does not reveal how much of a guess was right.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }
}
