/// Why a request was not compared. Every skip is counted by reason (`tapcompare_skipped_total{reason}`);
/// skips of sampled requests are also recorded in the ledger with outcome `skipped`.
///
/// A struct rather than an enum so a layer can add a reason without touching every `switch`.
public struct SkipReason: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { self.rawValue }

    /// Not chosen by the sampler (metrics only, never a ledger row).
    public static let notSampled = SkipReason("not_sampled")
    /// The route has mirroring turned off.
    public static let routeDisabled = SkipReason("route_disabled")
    /// A write method on a route without `mirror_writes: true`.
    public static let unsafeMethod = SkipReason("unsafe_method")
    /// The request body exceeded `mirror.max_body_bytes`.
    public static let bodyTooLarge = SkipReason("body_too_large")
    /// Legacy answered before the client's request body ended (a `413`, a `401` after the head, a `417` to
    /// `Expect: 100-continue`): the candidate would get only part of the request, so it gets none. A body already
    /// over `mirror.max_body_bytes` by then is still ``bodyTooLarge``.
    public static let legacyAnsweredEarly = SkipReason("legacy_answered_early")
    /// A response body exceeded what the comparison keeps in memory.
    public static let responseTooLarge = SkipReason("response_too_large")
    /// `mirror.max_in_flight` candidate calls were already running.
    public static let maxInFlight = SkipReason("max_in_flight")
    /// The client went away before legacy's response head arrived, so the legacy call was abandoned and legacy
    /// never finished answering. (A client that leaves later costs nothing: legacy's answer is still read and
    /// compared.)
    public static let clientAborted = SkipReason("client_aborted")
    /// The client took none of its response for `listener.send_timeout` before legacy had answered in full: the
    /// proxy cut the client off and abandoned the legacy call, so legacy never finished answering. (Once legacy has
    /// answered in full the comparison happens whatever the client does.)
    public static let sendTimeout = SkipReason("send_timeout")
    /// Upgrade, WebSocket and CONNECT requests are never mirrored.
    public static let upgrade = SkipReason("upgrade")
    /// Legacy failed (the client got a 502/504), so there is nothing to compare against.
    public static let legacyError = SkipReason("legacy_error")
    /// The comparison stage's bounded queue was full.
    public static let comparisonQueueFull = SkipReason("comparison_queue_full")
    /// The proxy was shutting down.
    public static let shuttingDown = SkipReason("shutting_down")
}
