/// What one end of a tunnel counts (``Tunnel/splice(client:upstream:idleTimeout:drain:metrics:clientInputClosed:)``
/// gives each end its own): a peer cut off by the drain timeout, and the bytes the proxy took and could not deliver.
///
/// A tunnel is a pass-through, but what the proxy had read from one side and then dropped is still lost on the way:
/// the `tapcompare_tunnel_dropped_bytes_total{toward,reason}` counter says how much, toward which side and why.
struct TunnelEndCounts {
    /// Why bytes a tunnel end held were dropped.
    enum DropReason: String, CaseIterable {
        /// The tunnel's idle timeout (`listener.idle_timeout`) closed the end with bytes still queued for its peer.
        case idleTimeout = "idle_timeout"
        /// The proxy's shutdown closed the end with bytes still queued for its peer.
        case shutdown
        /// The peer took none of its last bytes for the drain timeout and was cut off: `listener.send_timeout` toward
        /// the client, `upstream.write_timeout` toward legacy (the cut-off itself is counted by that timeout's metric).
        case cutOff = "cut_off"
        /// Sent by this end's peer after the other side was gone: read (up to ``LingeringClose/maxBytes``) so the
        /// connection closes cleanly, with nowhere to go.
        case otherSideClosed = "other_side_closed"
    }

    /// Counts the peer being cut off for taking none of its queued bytes for the drain timeout.
    var cutOff: () -> Void
    /// Counts bytes queued for this end's peer that a close dropped (`toward` this end's side).
    var droppedQueued: (Int, DropReason) -> Void
    /// Counts bytes this end's peer sent after the other side was gone (`toward` the other side).
    var droppedAfterOtherSideClosed: (Int) -> Void
}
