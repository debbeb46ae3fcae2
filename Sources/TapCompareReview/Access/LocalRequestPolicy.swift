/// What a listener without a token (`tapcompare ui`, `serve`'s admin listener on loopback without `admin.token`)
/// accepts: requests meant for it, never a web page's.
///
/// Loopback keeps other machines out, but not the reviewer's own browser, which any web page can make send
/// requests to `127.0.0.1`. Two attacks follow, and two checks stop them:
/// - **DNS rebinding**: a page at `attacker.example` re-points its name to `127.0.0.1` and reads the API as its
///   own origin; the request then says `Host: attacker.example:PORT`. Every request (but the health probes) must
///   name this listener in `Host`: its own address or `localhost`, with its port.
/// - **Cross-site writes**: a page can `POST` a form (`enctype=text/plain`) or a "simple" `fetch` without a CORS
///   preflight. A state-changing request (anything but `GET`, `HEAD`, `OPTIONS`) must say
///   `Content-Type: application/json`, which a page cannot send cross-site without a preflight this listener
///   never grants; and its `Origin`, when present, must be this listener's own (`http://` + the `Host` sent).
///   A browser always sends `Origin` on a cross-site `POST` (and on its own `fetch` `POST`s), so a request
///   without one comes from a program (curl, a script), which is allowed. `Sec-Fetch-Site`, when present, must
///   be `same-origin` or `none`.
///
/// A listener with a token needs none of this: the token is never a cookie, so a browser never sends it by
/// itself (``BearerTokenMiddleware``). Pure; unit-tested without sockets.
public struct LocalRequestPolicy: Sendable, Hashable {
    /// Host names (lower-cased, IPv6 in brackets) that name this listener.
    let hosts: Set<String>

    /// - Parameter listenHost: The host the listener binds (`127.0.0.1`, `::1`, `localhost`, …).
    public init(listenHost: String) {
        var host = listenHost.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        var hosts: Set<String> = ["localhost", host.contains(":") ? "[\(host)]" : host]
        // `localhost` may be bound on either family; both addresses name it.
        if host == "localhost" { hosts.formUnion(["127.0.0.1", "[::1]"]) }
        self.hosts = hosts
    }

    /// Why a request is refused: the status and a message that says what to do.
    public struct Refusal: Sendable, Hashable {
        public var status: Int
        public var message: String
    }

    /// The request as the policy sees it.
    public struct Request: Sendable, Hashable {
        public var method: String
        /// Every `Host` value sent (HTTP/1.1 requires exactly one).
        public var hosts: [String]
        public var origin: String?
        public var secFetchSite: String?
        public var contentType: String?

        public init(method: String, hosts: [String], origin: String? = nil, secFetchSite: String? = nil, contentType: String? = nil) {
            self.method = method
            self.hosts = hosts
            self.origin = origin
            self.secFetchSite = secFetchSite
            self.contentType = contentType
        }
    }

    /// - Parameter port: The port the listener is bound to.
    /// - Returns: `nil` to serve the request, or why it is refused.
    public func check(_ request: Request, port: Int) -> Refusal? {
        guard request.hosts.count == 1, let host = request.hosts.first, self.namesListener(host, port: port) else {
            return Refusal(
                status: 421,
                message: "this listener only answers requests addressed to it (Host: 127.0.0.1:\(port) or localhost:\(port)); set a token to serve other names"
            )
        }
        if ["GET", "HEAD", "OPTIONS"].contains(request.method) { return nil }
        if let site = request.secFetchSite?.lowercased(), site != "same-origin", site != "none" {
            return Refusal(status: 403, message: "cross-site requests are refused")
        }
        if let origin = request.origin, origin.lowercased() != "http://" + host.lowercased() {
            return Refusal(status: 403, message: "cross-origin requests are refused (Origin \(origin.prefix(100)))")
        }
        guard let type = request.contentType, Self.isJSON(type) else {
            return Refusal(status: 415, message: "send the body as JSON with Content-Type: application/json")
        }
        return nil
    }

    /// Whether a `Host` value is this listener's: a known name and the bound port (which may be left out only
    /// when it is 80, the default for `http`).
    func namesListener(_ value: String, port: Int) -> Bool {
        let value = value.lowercased()
        let name: Substring
        let portText: Substring?
        if value.hasPrefix("[") {
            guard let close = value.firstIndex(of: "]") else { return false }
            name = value[...close]
            let rest = value[value.index(after: close)...]
            if rest.isEmpty {
                portText = nil
            } else {
                guard rest.first == ":" else { return false }
                portText = rest.dropFirst()
            }
        } else if let colon = value.lastIndex(of: ":") {
            name = value[..<colon]
            portText = value[value.index(after: colon)...]
        } else {
            name = value[...]
            portText = nil
        }
        guard self.hosts.contains(String(name)) else { return false }
        guard let portText else { return port == 80 }
        return portText.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && Int(portText) == port
    }

    /// `application/json`, parameters (`; charset=utf-8`) allowed, any case.
    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return mediaType.trimmed(of: " \t").lowercased() == "application/json"
    }
}

extension Substring {
    fileprivate func trimmed(of set: String) -> Substring {
        let isTrimmed: (Character) -> Bool = { set.contains($0) }
        guard let start = self.firstIndex(where: { !isTrimmed($0) }), let end = self.lastIndex(where: { !isTrimmed($0) }) else { return "" }
        return self[start...end]
    }
}
