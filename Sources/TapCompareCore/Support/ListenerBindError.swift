/// One of `serve`'s listeners could not bind its address: the port is taken, binding it is not permitted, the
/// address is not one of this machine's.
///
/// The proxy and the admin listener throw this from `run()` instead of the bare error of their bind, so that `serve`
/// can tell a listen address to fix (a configuration error naming the key, exit status 2) from any other failure
/// at start-up, which it leaves as it is.
public struct ListenerBindError: Error, Sendable, CustomStringConvertible {
    /// Which listener failed.
    public enum Listener: String, Sendable, Hashable {
        /// The proxy's client listener (`listen`).
        case proxy
        /// The admin listener (`admin.listen`).
        case admin
    }

    public let listener: Listener
    /// What the bind threw (NIO's `IOError` with its errno, or a `SocketAddressError` for a host that does not
    /// resolve).
    public let underlying: any Error

    public init(listener: Listener, underlying: any Error) {
        self.listener = listener
        self.underlying = underlying
    }

    public var description: String {
        "the \(self.listener.rawValue) listener could not bind its address: \(self.underlying)"
    }
}
