import TapCompareCore

/// The body paths at which legacy disagreed with itself: between two legacy answers to the same request
/// (noise), or between the first answer and a later re-read (race).
///
/// A discrepancy is covered when one of these paths is the discrepancy's path, an ancestor of it (the whole
/// object changed) or a descendant (a field inside the compared value changed).
public struct ChangedPaths: Sendable, Hashable {
    /// Paths as JSON Pointer segment lists; `[]` is the whole body.
    private var paths: [[Substring]]
    /// The status fields that changed (`status`, and gRPC's `grpc-status`), each covering discrepancies of its own
    /// field only: an HTTP status change says nothing of a gRPC status, which travels in the trailers.
    public var changedStatusFields: Set<String>
    /// Whether some status changed.
    public var statusChanged: Bool { !self.changedStatusFields.isEmpty }
    public var changedHeaderFields: Set<String>

    public init() {
        self.paths = []
        self.changedStatusFields = []
        self.changedHeaderFields = []
    }

    /// The changes that a legacy-against-legacy comparison found.
    public init(_ discrepancies: [Discrepancy]) {
        self.init()
        for d in discrepancies {
            switch d.kind {
            case .status: self.changedStatusFields.insert(d.field)
            case .header: self.changedHeaderFields.insert(d.field)
            default: self.paths.append(Self.segments(d.path))
            }
        }
    }

    public var isEmpty: Bool { self.paths.isEmpty && !self.statusChanged && self.changedHeaderFields.isEmpty }

    /// Whether legacy's own change explains this discrepancy.
    public func covers(_ discrepancy: Discrepancy) -> Bool {
        switch discrepancy.kind {
        case .status: return self.changedStatusFields.contains(discrepancy.field)
        case .header: return self.changedHeaderFields.contains(discrepancy.field)
        default:
            let target = Self.segments(discrepancy.path)
            return self.paths.contains { path in
                let n = min(path.count, target.count)
                return path[..<n] == target[..<n]
            }
        }
    }

    static func segments(_ pointer: String) -> [Substring] {
        pointer.isEmpty ? [] : Array(pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst())
    }
}
