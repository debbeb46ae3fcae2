import Foundation

/// A gRPC call's sides in the report (the UI's `grpcSides` in `ui-views.js` draws the same with the same classes).
extension HTMLComponents {
    /// Each side headed `gRPC 5 NOT_FOUND · HTTP 200`, its `grpc-message`, and each kept message as JSON with its
    /// size on the wire, the differing paths (`/messages/1/text`) highlighted inside their message.
    static func grpcSides(_ c: ComparisonDetail, _ grpc: GRPCDetail, highlight paths: Set<String>) -> String {
        var out = "<div class=\"side grpc\">"
        out += Self.grpcSide("Legacy", grpc.legacy, http: c.legacyStatus, ms: c.legacyMs, sample: c.legacySample, cls: "legacy", paths: paths)
        out += Self.grpcSide("Candidate", grpc.candidate, http: c.candidateStatus, ms: c.candidateMs, sample: c.candidateSample, cls: "candidate", paths: paths)
        out += "</div>"
        if c.samplesTruncated { out += "<p class=\"muted\">Some messages were left out at the ledger's caps (grpc.max_recorded_messages, grpc.max_recorded_bytes).</p>" }
        return out
    }

    static func grpcSide(_ name: String, _ side: GRPCSideDetail?, http: Int?, ms: Double?, sample: String?, cls: String, paths: Set<String>) -> String {
        let latency = ms.map { " · " + Formatting.milliseconds($0) } ?? ""
        var out = "<div><h4>\(name)</h4>"
        guard let side else { return out + "<p class=\"grpc-status\">no answer\(latency)</p></div>" }
        out += "<p class=\"grpc-status\">\(esc(GRPCSideDetail.heading(grpcStatus: side.status, httpStatus: http)))\(latency)</p>"
        if let message = side.message { out += "<p class=\"grpc-message\">grpc-message <code>\(esc(message))</code></p>" }
        guard let messages = side.messages else {
            // Not gRPC at all (an HTTP error page), or a call whose messages are not kept: its sample, if any.
            return out + "<pre class=\"body \(cls)\">\(JSONBodyView.render(sample, highlight: paths))</pre></div>"
        }
        if messages.isEmpty { out += "<p class=\"muted\">(no messages)</p>" }
        for (index, message) in messages.enumerated() {
            out += "<div class=\"grpc-msg\"><p class=\"muted\">message \(index) · \(Self.byteCount(message.bytes))</p>"
            out += "<pre class=\"body \(cls)\">\(JSONBodyView.render(message.json, highlight: Self.paths(paths, inMessage: index)))</pre></div>"
        }
        if side.omittedMessages > 0 { out += "<p class=\"muted\">\(side.omittedMessages) more not kept</p>" }
        return out + "</div>"
    }

    /// `41 bytes`, `1 byte`.
    static func byteCount(_ bytes: Int) -> String {
        bytes == 1 ? "1 byte" : "\(bytes) bytes"
    }

    /// The pointers into message `index` (`/messages/2/text` → `/text`), as the message's own view highlights them.
    static func paths(_ paths: Set<String>, inMessage index: Int) -> Set<String> {
        let prefix = "/messages/\(index)"
        return Set(paths.compactMap { path in
            guard path.hasPrefix(prefix) else { return nil }
            let rest = path.dropFirst(prefix.count)
            return rest.isEmpty || rest.hasPrefix("/") ? String(rest) : nil
        })
    }
}
