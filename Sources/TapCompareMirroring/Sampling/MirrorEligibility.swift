import NIOHTTP1
import TapCompareCore

/// The decision taken when a request's head arrives: mirror it, or why not.
///
/// Pure: the proxy calls ``decide(method:isUpgrade:hasCandidate:policy:globalRate:key:sampler:)`` and acts on the
/// answer; the tests call it with no sockets. Later checks that need the body or the in-flight count
/// (`body_too_large`, `max_in_flight`) are taken by ``MirrorAdmission``.
public enum MirrorEligibility: Sendable, Equatable {
    case mirror
    case skip(SkipReason)

    /// Methods mirrored on every route; others only with ``RoutePolicy/mirrorWrites``.
    @inlinable
    public static func isSafe(_ method: HTTPMethod) -> Bool {
        switch method {
        case .GET, .HEAD, .OPTIONS: true
        default: false
        }
    }

    /// Decides for one request head. The order of checks fixes which reason is counted when several apply:
    /// the cheapest and most structural first, the random draw last so it is only taken for eligible requests.
    ///
    /// `readsOnly`: the caller knows this request only reads although its method is not safe (a gRPC call that
    /// `grpc.read_methods` names), so it is mirrored like a GET.
    public static func decide(
        method: HTTPMethod,
        readsOnly: Bool = false,
        isUpgrade: Bool,
        hasCandidate: Bool,
        policy: RoutePolicy,
        globalRate: Double,
        key: Substring?,
        sampler: inout Sampler
    ) -> MirrorEligibility {
        if isUpgrade || method == .CONNECT { return .skip(.upgrade) }
        if !hasCandidate { return .skip(.noCandidate) }
        if !policy.mirror { return .skip(.routeDisabled) }
        if !Self.isSafe(method) && !readsOnly && !policy.mirrorWrites { return .skip(.unsafeMethod) }
        if !sampler.shouldSample(rate: policy.sampleRate ?? globalRate, key: key) { return .skip(.notSampled) }
        return .mirror
    }
}

extension SkipReason {
    /// No candidate is configured, so nothing is mirrored (metrics only).
    public static let noCandidate = SkipReason("no_candidate")
}
