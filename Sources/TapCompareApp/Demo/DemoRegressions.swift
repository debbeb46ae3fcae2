/// The Go rewrite's bugs, as the demo candidate serves them. Kept in step with `scripts/gen-fixtures.py`,
/// which writes the same regressions into the fixture's recorded candidate responses.
///
/// 1. `GET /api/v1/posts/{id}/comments`: `score` is a JSON string instead of a number, at every depth;
/// 2. `GET /api/v1/comments/{id}/replies`: `reply_count` is missing from every reply;
/// 3. `GET /api/v1/comments/{id}`: nested `replies` come oldest first instead of best first;
/// 4. everywhere: timestamps end in `Z` instead of `+00:00` (noise the example diff-rules normalize).
enum DemoRegressions {
    /// The candidate's body for a legacy body on a route; non-JSON bodies are returned unchanged.
    static func apply(route: String, to body: [UInt8]) -> [UInt8] {
        guard !body.isEmpty, var json = DemoJSON.parse(body) else { return body }
        json = Self.goTimestamps(json)
        switch route {
        case "GET /api/v1/posts/{id}/comments":
            json = Self.scoreAsString(json)
        case "GET /api/v1/comments/{id}/replies":
            if case .object(var members) = json, let i = members.firstIndex(where: { $0.0 == "replies" }),
               case .array(let replies) = members[i].1 {
                members[i].1 = .array(replies.map { reply in
                    guard case .object(let m) = reply else { return reply }
                    return .object(m.filter { $0.0 != "reply_count" })
                })
                json = .object(members)
            }
        case "GET /api/v1/comments/{id}":
            json = Self.oldestFirst(json)
        default:
            break
        }
        return Array(json.serialized().utf8)
    }

    /// `2026-11-20T14:03:11.120000+00:00` → `2026-11-20T14:03:11.12Z` (Go's RFC3339Nano).
    static func goTimestamp(_ text: String) -> String {
        guard text.hasSuffix("+00:00") else { return text }
        var body = String(text.dropLast(6))
        if body.contains(".") {
            while body.hasSuffix("0") { body.removeLast() }
            if body.hasSuffix(".") { body.removeLast() }
        }
        return body + "Z"
    }

    private static func map(_ json: DemoJSON, _ transform: (inout [(String, DemoJSON)]) -> Void) -> DemoJSON {
        switch json {
        case .object(let members):
            var m = members.map { ($0.0, Self.map($0.1, transform)) }
            transform(&m)
            return .object(m)
        case .array(let items):
            return .array(items.map { Self.map($0, transform) })
        default:
            return json
        }
    }

    private static func goTimestamps(_ json: DemoJSON) -> DemoJSON {
        Self.map(json) { members in
            for i in members.indices where members[i].0 == "created_at" || members[i].0 == "updated_at" {
                if case .string(let s) = members[i].1 { members[i].1 = .string(Self.goTimestamp(s)) }
            }
        }
    }

    private static func isComment(_ members: [(String, DemoJSON)]) -> Bool {
        members.contains { $0.0 == "post_id" } && members.contains { $0.0 == "body" }
    }

    private static func scoreAsString(_ json: DemoJSON) -> DemoJSON {
        Self.map(json) { members in
            guard Self.isComment(members), let i = members.firstIndex(where: { $0.0 == "score" }),
                  case .number(let n) = members[i].1 else { return }
            members[i].1 = .string(n)
        }
    }

    private static func oldestFirst(_ json: DemoJSON) -> DemoJSON {
        Self.map(json) { members in
            guard members.contains(where: { $0.0 == "post_id" }), let i = members.firstIndex(where: { $0.0 == "replies" }),
                  case .array(let replies) = members[i].1 else { return }
            members[i].1 = .array(replies.sorted { a, b in
                let ka = Self.sortKey(a), kb = Self.sortKey(b)
                return ka.0 != kb.0 ? ka.0 < kb.0 : ka.1 < kb.1
            })
        }
    }

    /// (created_at, id as zero-padded text): the Python generator sorts by the same pair.
    private static func sortKey(_ reply: DemoJSON) -> (String, String) {
        var created = ""
        if case .string(let s)? = reply["created_at"] { created = s }
        var id = ""
        if case .number(let n)? = reply["id"] { id = String(repeating: "0", count: max(0, 24 - n.count)) + n }
        return (created, id)
    }
}
