/// How one route is mirrored: the value stored per template in ``MirrorConfiguration/routes``.
public struct RoutePolicy: Sendable, Hashable {
    /// Whether requests on this route may be mirrored at all. Default `true`.
    public var mirror: Bool
    /// This route's own sample rate (0…1), or `nil` to use ``MirrorConfiguration/sampleRate``. Default `nil`.
    public var sampleRate: Double?
    /// Whether POST, PUT, PATCH and DELETE are mirrored on this route. Default `false`: writes are dangerous,
    /// and a candidate mirrors them only where the route says it sends shadow writes somewhere harmless.
    public var mirrorWrites: Bool

    public init(mirror: Bool = true, sampleRate: Double? = nil, mirrorWrites: Bool = false) {
        self.mirror = mirror
        self.sampleRate = sampleRate
        self.mirrorWrites = mirrorWrites
    }
}
