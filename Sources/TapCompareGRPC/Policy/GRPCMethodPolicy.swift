/// Which gRPC calls are mirrored. A pure function of the call path for the proxy's mirroring decision: gRPC calls
/// are all POST, so HTTP's safe-method rule cannot tell a read from a write; a method is mirrored only when it
/// matches a `grpc.read_methods` pattern or a route opts in (`mirror_writes: true` on a route naming its path).
public struct GRPCMethodPolicy: Sendable, Hashable {
    public let readMethods: [GRPCMethodPattern]
    /// Call paths that routes opt in to mirroring.
    public let optedIn: Set<String>

    public init(readMethods: [GRPCMethodPattern], optedIn: Set<String> = []) {
        self.readMethods = readMethods
        self.optedIn = optedIn
    }

    /// Parses `grpc.read_methods`.
    /// - Throws: ``GRPCMethodPatternError`` for the first entry that cannot be a pattern.
    public init(configuration: GRPCConfiguration, optedIn: Set<String> = []) throws(GRPCMethodPatternError) {
        var patterns: [GRPCMethodPattern] = []
        for text in configuration.readMethods { patterns.append(try GRPCMethodPattern(parsing: text)) }
        self.init(readMethods: patterns, optedIn: optedIn)
    }

    /// Whether the call at `path` (`/package.Service/Method`, no query) may be mirrored: a read, or a write a route
    /// opts in.
    public func isMirrored(path: some StringProtocol) -> Bool {
        if self.optedIn.contains(String(path)) { return true }
        return self.isRead(path: path)
    }

    /// Whether the call at `path` only reads: a `grpc.read_methods` pattern names it. A route's `mirror_writes: true`
    /// lets a write be mirrored but does not make it a read, so it is not in here: a replay must still treat it as
    /// a write (sent only with `--include-writes`, marked with the shadow header, never twice to a live legacy).
    public func isRead(path: some StringProtocol) -> Bool {
        self.readMethods.contains { $0.matches(path) }
    }

    /// Whether `path` has the shape of a gRPC call path: `/service/method`, the service qualified by a package.
    public static func isCallPath(_ path: some StringProtocol) -> Bool {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        return segments.count == 3 && segments[0].isEmpty && !segments[1].isEmpty && !segments[2].isEmpty
            && segments[1].contains(".") && !path.contains("{")
    }
}
