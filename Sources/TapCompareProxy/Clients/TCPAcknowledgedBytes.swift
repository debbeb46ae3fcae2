import NIOCore

/// How many bytes of a connection the peer's TCP acknowledged: Linux's `TCP_INFO` `tcpi_bytes_acked` (kernel 4.1+),
/// the measure ``SendDeadline`` takes for "the client read something".
///
/// A client's TCP acknowledges new bytes only while its receive window is open, and the window opens only when the
/// client reads: so the counter moves when the client takes bytes, however little, while the channel's own signals
/// (writable again, fewer bytes buffered) wait for the kernel's send buffer to drain by about a third, which a slow
/// reader takes minutes to do. Bytes merely sent (`tcpi_bytes_sent`) or queued (`tcpi_notsent_bytes`) say nothing of
/// the client; a zero-window probe's acknowledgement acknowledges no new byte.
///
/// Read with a `getsockopt` on the channel's event loop, only at a stall's start and at the send timer's checks, never
/// per request.
enum TCPAcknowledgedBytes {
    /// The counter for `channel`, a socket channel (TLS or not) on its own event loop; `nil` where it cannot be read:
    /// not Linux, a channel that is not a socket (an HTTP/2 stream: pass its parent), a closed socket or any other
    /// error. A kernel older than 4.1 answers a shorter `tcp_info` and the counter reads as a constant 0, which never
    /// shows progress: today's behaviour, as with `nil`.
    static func read(_ channel: any Channel) -> UInt64? {
        #if os(Linux)
        guard let provider = channel as? any SocketOptionProvider, channel.eventLoop.inEventLoop else { return nil }
        var acknowledged: UInt64?
        // A socket channel answers at once on its own event loop: the future is already complete here.
        let info: EventLoopFuture<LinuxTCPInfo> = provider.unsafeGetSocketOption(level: .tcp, name: .tcp_info)
        info.assumeIsolated().whenSuccess { acknowledged = $0.bytesAcked }
        return acknowledged
        #else
        return nil
        #endif
    }
}

#if os(Linux)
/// The start of Linux's `struct tcp_info` (`<linux/tcp.h>`) up to `tcpi_bytes_acked`, as 16 words: glibc's `tcp_info`
/// (what NIO's `getTCPInfo()` returns) stops at `tcpi_total_retrans`, 104 bytes in, before the 64-bit counters. The
/// kernel's layout only ever grows at its end, so the offset is stable.
private struct LinuxTCPInfo: Sendable {
    /// `tcpi_bytes_acked` is at byte 120: after 8 one-byte fields, 24 `__u32` (to `tcpi_total_retrans`), then
    /// `tcpi_pacing_rate` and `tcpi_max_pacing_rate` (`__u64`).
    static let bytesAckedOffset = 120

    var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    var bytesAcked: UInt64 {
        withUnsafeBytes(of: self.words) { $0.load(fromByteOffset: Self.bytesAckedOffset, as: UInt64.self) }
    }
}
#endif
