#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOHPACK
import NIOHTTP1
import NIOHTTP2

/// Why the proxy refused a client instead of forwarding its request, and what the client was told.
///
/// Every refusal is counted as `tapcompare_client_refused_total{reason}`; the reasons are a small fixed set (never
/// a raw parser message), so the label stays low-cardinality. A refused request never reaches legacy as a complete
/// request: the parser stops before the head is handed on (framing conflicts, oversized heads), or, for a bad
/// chunk in a body already being streamed, the legacy connection is abandoned and closed, never reused.
public struct ClientRefusal: Sendable, Hashable, CustomStringConvertible {
    /// The `reason` label.
    public let reason: String
    /// The status sent before closing; `nil` when nothing can be sent (the connection was never accepted).
    public let status: HTTPResponseStatus?
    /// A one-line explanation sent as the body: safe to show, names the rule broken.
    let explanation: String

    public var description: String { self.reason }

    /// The request head was not complete within `listener.header_timeout` (slow-header clients): 408.
    public static let headerTimeout = ClientRefusal(
        reason: "header_timeout", status: .requestTimeout, explanation: "the request head was not sent in time"
    )
    /// A header line, the whole head or the number of header fields over the limit: 431.
    public static let headersTooLarge = ClientRefusal(
        reason: "headers_too_large", status: .custom(code: 431, reasonPhrase: "Request Header Fields Too Large"),
        explanation: "the request head is over the size or header-count limit"
    )
    /// Conflicting or invalid lengths: two different `Content-Length` values, a non-numeric length: 400.
    /// (`Content-Length` together with `Transfer-Encoding` is ``smuggling``.)
    public static let invalidFraming = ClientRefusal(
        reason: "invalid_framing", status: .badRequest,
        explanation: "conflicting or invalid Content-Length / Transfer-Encoding"
    )
    /// Both `Content-Length` and `Transfer-Encoding` in one request, the request-smuggling pattern (a proxy and the
    /// server behind it could disagree on where the body ends): 400. Told apart from other framing errors by
    /// ``HeadFramingScan``, since the decoder reports it as a generic error.
    public static let smuggling = ClientRefusal(
        reason: "smuggling", status: .badRequest,
        explanation: "both Content-Length and Transfer-Encoding (refused: a request-smuggling pattern)"
    )
    /// Content in a request whose method must not carry any (`TRACE`, see ``RequestBodyFraming``): NIO's encoder
    /// would send the body to legacy without framing, where it reads as a next request on a pooled connection: 400.
    public static let bodyNotAllowed = ClientRefusal(
        reason: "body_not_allowed", status: .badRequest, explanation: "a TRACE request must not have a body"
    )
    /// A chunk size that is not hexadecimal (or overflows): 400.
    public static let invalidChunk = ClientRefusal(
        reason: "invalid_chunk", status: .badRequest, explanation: "invalid chunk in a chunked body"
    )
    /// A malformed header line, including obsolete line folding: 400.
    public static let invalidHeader = ClientRefusal(
        reason: "invalid_header", status: .badRequest, explanation: "malformed header line"
    )
    /// A malformed request line (method, target or version): 400.
    public static let invalidRequestLine = ClientRefusal(
        reason: "invalid_request_line", status: .badRequest, explanation: "malformed request line"
    )
    /// Anything else the HTTP parser rejects, including a `Transfer-Encoding` it will not accept: 400.
    public static let malformed = ClientRefusal(
        reason: "malformed", status: .badRequest, explanation: "malformed request"
    )
    /// `accept()` failed because the process is out of file descriptors; accepting backs off.
    public static let acceptFDLimit = ClientRefusal(reason: "accept_fd_limit", status: nil, explanation: "")
    /// `accept()` failed for another reason (e.g. out of memory for socket buffers); accepting backs off.
    public static let acceptError = ClientRefusal(reason: "accept_error", status: nil, explanation: "")

    /// On a TLS listener, the client's TLS handshake failed or was never completed (plain HTTP sent to the TLS
    /// port, an untrusted certificate, no common protocol version); nothing can be answered.
    public static let tlsHandshake = ClientRefusal(reason: "tls_handshake", status: nil, explanation: "")

    /// An HTTP/2 client broke the protocol (a malformed frame or header block, a flow-control violation, a bad
    /// preface; see ``forHTTP2Error(_:)``): NIOHTTP2 answered with the RST_STREAM or GOAWAY RFC 9113 requires;
    /// nothing was forwarded for it.
    public static let http2Protocol = ClientRefusal(reason: "http2_protocol", status: nil, explanation: "")

    /// The refusal for an error NIOHTTP2 reports on a client's HTTP/2 connection (after sending the GOAWAY or
    /// RST_STREAM it calls for), or `nil` for an error that is no protocol error (the socket failed).
    /// A header block over SETTINGS_MAX_HEADER_LIST_SIZE, which ends the whole connection, is ``headersTooLarge``
    /// like an over-limit HTTP/1.1 head; any other error in a frame or an HPACK block is ``http2Protocol``.
    static func forHTTP2Error(_ error: any Error) -> ClientRefusal? {
        switch error {
        case is NIOHTTP2Errors.ExcessivelyLargeHeaderBlock, is NIOHPACKErrors.MaxHeaderListSizeViolation:
            return .headersTooLarge
        case is any NIOHTTP2Error, is any NIOHPACKError:
            return .http2Protocol
        default:
            return nil
        }
    }

    /// Every reason, so the counters exist (at zero) from start-up.
    static let all: [ClientRefusal] = [
        .headerTimeout, .headersTooLarge, .invalidFraming, .smuggling, .bodyNotAllowed, .invalidChunk, .invalidHeader, .invalidRequestLine, .malformed,
        .acceptFDLimit, .acceptError, .tlsHandshake, .http2Protocol,
    ]

    /// The refusal for a parser error, or `nil` when the error means the client went away (an incomplete request
    /// at end of input): nothing can be answered then and nothing was refused.
    /// - Parameter headHasConflictingFraming: the head named both `Content-Length` and `Transfer-Encoding`
    ///   (``HeadFramingScan``): a framing or generic error is then ``smuggling``.
    static func forParserError(_ error: HTTPParserError, headHasConflictingFraming: Bool = false) -> ClientRefusal? {
        if headHasConflictingFraming {
            switch error {
            case .unexpectedContentLength, .invalidContentLength, .unknown: return .smuggling
            default: break
            }
        }
        switch error {
        case .headerOverflow:
            return .headersTooLarge
        case .invalidContentLength, .unexpectedContentLength:
            return .invalidFraming
        case .invalidChunkSize:
            return .invalidChunk
        case .invalidHeaderToken, .lfExpected, .invalidCharactersUsed, .invalidConstant:
            return .invalidHeader
        case .invalidMethod, .invalidURL, .invalidVersion:
            return .invalidRequestLine
        case .invalidEOFState, .closedConnection:
            return nil
        default:
            return .malformed
        }
    }

    /// The refusal for an error of the listening socket's `accept()`.
    static func forAcceptError(_ error: IOError) -> ClientRefusal {
        error.errnoCode == EMFILE || error.errnoCode == ENFILE ? .acceptFDLimit : .acceptError
    }
}
