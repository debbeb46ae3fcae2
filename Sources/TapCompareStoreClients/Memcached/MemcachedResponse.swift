import NIOCore

/// One item of a retrieval reply.
public struct MemcachedItem: Sendable, Hashable {
    public var key: String
    /// The client flags stored with the item (often a serializer's marker).
    public var flags: UInt32
    public var value: ByteBuffer
    /// The CAS unique, for `gets`.
    public var cas: UInt64?

    public init(key: String, flags: UInt32, value: ByteBuffer, cas: UInt64? = nil) {
        self.key = key
        self.flags = flags
        self.value = value
        self.cas = cas
    }
}

/// A whole reply to one command.
public enum MemcachedResponse: Sendable, Hashable {
    /// `VALUE …` blocks up to `END`: the keys found (a missing key is simply absent).
    case items([MemcachedItem])
    /// `VERSION 1.6.18`.
    case version(String)
    /// `ERROR`, `CLIENT_ERROR …`, `SERVER_ERROR …`.
    case error(String)
}
