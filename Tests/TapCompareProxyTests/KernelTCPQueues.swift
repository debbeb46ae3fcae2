import Foundation

/// What the kernel holds for a loopback TCP socket of this machine, read from Linux's `/proc/net/tcp`: the bytes its
/// application wrote that the peer's kernel has not acknowledged yet, and the bytes that arrived that its application
/// has not read yet. A test uses them to wait for an event inside the proxy (it has read every byte that reached its
/// socket) that no peer can see.
struct KernelTCPQueues: Equatable {
    /// `tx_queue`: written and not yet acknowledged by the peer's kernel (`write_seq - snd_una`).
    var unacknowledged: Int
    /// `rx_queue`: arrived and not yet read by the socket's application (`rcv_nxt - copied_seq`). For a listening
    /// socket (peer port 0): the connections whose handshake is complete and that wait to be accepted.
    var unread: Int

    /// Whether this system has the table (Linux).
    static var available: Bool { FileManager.default.isReadableFile(atPath: "/proc/net/tcp") }

    /// The queues of the IPv4 socket whose local port is `local` and whose peer's port is `remote`, or `nil` when the
    /// table has no such socket.
    static func socket(local: Int, remote: Int) -> KernelTCPQueues? {
        guard let table = Self.read("/proc/net/tcp") else { return nil }
        // `  sl  local_address rem_address   st tx_queue:rx_queue ...`, addresses as `0100007F:1F90` (port in hex).
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 4, Self.port(fields[1]) == local, Self.port(fields[2]) == remote else { continue }
            let queues = fields[4].split(separator: ":")
            guard queues.count == 2, let tx = Int(queues[0], radix: 16), let rx = Int(queues[1], radix: 16) else { return nil }
            return KernelTCPQueues(unacknowledged: tx, unread: rx)
        }
        return nil
    }

    /// The largest receive buffer the kernel's autotuning gives a TCP socket (`net.ipv4.tcp_rmem`'s third value), or
    /// `nil` when this system does not say.
    static var receiveBufferMaximum: Int? {
        guard let text = Self.read("/proc/sys/net/ipv4/tcp_rmem") else { return nil }
        return text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).last.flatMap { Int($0) }
    }

    /// A `/proc` file's whole text, read until its end: the kernel makes it a page per read and reports no size, and
    /// `String(contentsOfFile:)` returned only part of a table of a few hundred sockets.
    private static func read(_ path: String) -> String? {
        guard let file = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? file.close() }
        var bytes = Data()
        while let chunk = try? file.read(upToCount: 1 << 16), !chunk.isEmpty { bytes += chunk }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func port(_ address: Substring) -> Int? {
        address.split(separator: ":").last.flatMap { Int($0, radix: 16) }
    }
}
