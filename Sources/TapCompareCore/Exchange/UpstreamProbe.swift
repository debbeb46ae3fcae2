/// Sends one extra request to an upstream, off the request path: a second legacy read (noise baseline), a
/// later legacy re-read (race check), or a write-verification read on either side.
public protocol UpstreamProbe: Sendable {
    /// Sends `request` (its method, target, end-to-end headers and body) and returns the complete response.
    /// - Parameter purpose: why, sent in the shadow header (`baseline`, `recheck`, `verify`) so the upstream can
    ///   tell these reads from client traffic.
    /// - Throws: when the upstream cannot be reached, times out or answers something that is not HTTP.
    func fetch(_ request: RequestSnapshot, purpose: String) async throws -> (response: ResponseSnapshot, latency: Duration)
}
