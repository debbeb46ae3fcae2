import NIOCore

/// A response written byte for byte by a ``ScriptedUpstream``: status line, headers in the order given
/// (repeated names kept), and the body framed as asked.
public struct ScriptedResponse: Sendable {
    public enum Framing: Sendable {
        /// `Content-Length` added with the body's length.
        case contentLength
        /// `Transfer-Encoding: chunked`, the body cut into chunks of this size.
        case chunked(chunkSize: Int)
        /// No framing header: the body ends when the connection closes (HTTP/1.0 style).
        case closeDelimited
        /// Headers exactly as given; the body (if any) written as is. For 204/304 and HEAD answers.
        case asGiven
    }

    public var status: Int
    public var reason: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    public var framing: Framing

    public init(
        status: Int = 200,
        reason: String = "OK",
        headers: [(String, String)] = [],
        body: [UInt8] = [],
        framing: Framing = .contentLength
    ) {
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.framing = framing
    }

    public init(status: Int = 200, reason: String = "OK", headers: [(String, String)] = [], body: String, framing: Framing = .contentLength) {
        self.init(status: status, reason: reason, headers: headers, body: Array(body.utf8), framing: framing)
    }

    /// The head's bytes (through the blank line).
    public func headBytes(omitBody: Bool = false) -> [UInt8] {
        var text = "HTTP/1.1 \(self.status) \(self.reason)\r\n"
        for (name, value) in self.headers { text += "\(name): \(value)\r\n" }
        switch self.framing {
        case .contentLength: text += "Content-Length: \(self.body.count)\r\n"
        case .chunked: text += "Transfer-Encoding: chunked\r\n"
        case .closeDelimited: text += "Connection: close\r\n"
        case .asGiven: break
        }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// The body's bytes as framed on the wire.
    public func bodyBytes() -> [UInt8] {
        switch self.framing {
        case .contentLength, .closeDelimited, .asGiven:
            return self.body
        case .chunked(let size):
            var out: [UInt8] = []
            var index = 0
            while index < self.body.count {
                let end = min(self.body.count, index + max(1, size))
                out += Array(String(end - index, radix: 16).utf8) + [13, 10]
                out += self.body[index..<end]
                out += [13, 10]
                index = end
            }
            out += Array("0\r\n\r\n".utf8)
            return out
        }
    }
}
