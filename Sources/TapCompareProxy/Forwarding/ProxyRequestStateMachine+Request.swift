import NIOHTTP1

extension ProxyRequestStateMachine {
    /// The request in progress on a client connection: what its head asked for, and how far its upload, the legacy
    /// connection and the response have come.
    struct Request: Equatable {
        /// The client's upload.
        enum Upload: Equatable {
            /// Head received, body parts may follow.
            case streaming(bodyBytes: Int)
            /// The request's end has arrived.
            case ended(bodyBytes: Int)
        }

        /// The legacy call.
        enum Legacy: Equatable {
            /// Leasing or connecting a legacy connection; `fresh` for the one retry on a new connection.
            case connecting(fresh: Bool)
            /// Connected; `writable` is legacy's socket (request body backpressure), `reused` whether the
            /// connection came from the idle pool, `retried` whether this is the retry.
            case connected(writable: Bool, reused: Bool, retried: Bool)
        }

        /// The response to the client.
        enum Response: Equatable {
            /// Nothing but informational heads sent yet.
            case waiting
            /// Legacy's final head was forwarded; `closeAfter` when the connection ends with this response.
            case streaming(closeAfter: Bool)
        }

        let method: HTTPMethod
        let isKeepAlive: Bool
        let isHTTP10: Bool
        /// The client asked to switch protocols (`Upgrade` with `Connection: upgrade`, HTTP/1.1, not `CONNECT`):
        /// legacy's `101` turns the connection into a tunnel; anything else is an ordinary response.
        let upgradeRequested: Bool
        /// The client's decoder parses nothing after this request (an upgrade request or `CONNECT`): unless the
        /// connection becomes a tunnel, it closes after the response.
        let parserStopsAfterRequest: Bool
        /// How legacy's head frames the body; ``RequestBodyFraming/pending`` while legacy's head is held.
        var bodyFraming: RequestBodyFraming
        var upload: Upload
        var legacy: Legacy
        var response: Response

        init(head: HTTPRequestHead) {
            self.method = head.method
            self.isKeepAlive = head.isKeepAlive
            // HTTP/2.0's minor version is 0 too: an HTTP/2 stream (``HTTP2FramePayloadToHTTP1ServerCodec``) is not 1.0.
            self.isHTTP10 = head.version.major == 1 && head.version.minor == 0
            // `Upgrade` first: almost no request has it, and splitting `Connection` into lower-cased tokens
            // allocates.
            let asksUpgrade =
                head.headers.contains(name: "upgrade")
                && head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
            self.parserStopsAfterRequest = asksUpgrade || head.method == .CONNECT
            self.upgradeRequested = asksUpgrade && head.method != .CONNECT && head.version == .http1_1
            self.bodyFraming = RequestBodyFraming(head: head)
            self.upload = .streaming(bodyBytes: 0)
            self.legacy = .connecting(fresh: false)
            self.response = .waiting
        }

        /// The HTTP version of responses to this client: HTTP/1.0 clients get 1.0 responses.
        var responseVersion: HTTPVersion { self.isHTTP10 ? .http1_0 : .http1_1 }

        /// Legacy's head waits for the first body part or the end (``RequestBodyFraming/pending``): the legacy
        /// connection is leased meanwhile, but nothing is written to it.
        var isLegacyHeadHeld: Bool { self.bodyFraming == .pending }

        var isUploadComplete: Bool {
            if case .ended = self.upload { return true }
            return false
        }

        var bodyBytes: Int {
            switch self.upload {
            case .streaming(let bytes), .ended(let bytes): bytes
            }
        }

        /// Client reads are held while legacy cannot take the request's bytes: connecting, or its socket full.
        var holdsUpload: Bool {
            guard case .streaming = self.upload else { return false }
            switch self.legacy {
            case .connecting: return true
            case .connected(let writable, _, _): return !writable
            }
        }
    }
}
