import TapCompareJSON

/// The Go rewrite's bugs, as the demo candidate serves them. Kept in step with `scripts/gen-fixtures.py`,
/// which writes the same regressions into the fixture's recorded candidate responses (a test checks that both
/// give the same bytes for every exchange).
///
/// 1. `GET /api/v1/posts/{id}/comments`: `score` is a JSON string instead of a number, at every depth;
/// 2. `GET /api/v1/comments/{id}/replies`: `reply_count` is missing from every reply;
/// 3. `GET /api/v1/comments/{id}`: nested `replies` come oldest first instead of best first;
/// 4. everywhere: timestamps end in `Z` instead of `+00:00` (noise the example diff-rules normalize);
/// 5. not in any answer: `POST /api/v1/comments` stores the body with its whitespace collapsed (``storedBody(_:)``),
///    a bug only the store check of the comments table finds.
///
/// Bodies go through ``TapCompareJSON`` so ids above 2^53 and key order survive the rewrite.
enum DemoRegressions {
    /// The candidate's body for a legacy body on a route; non-JSON bodies are returned unchanged.
    static func apply(route: String, to body: [UInt8]) -> [UInt8] {
        guard !body.isEmpty, var json = try? JSONParser.parse(body) else { return body }
        json = Self.map(json, Self.goTimestamps)
        switch route {
        case "GET /api/v1/posts/{id}/comments":
            json = Self.map(json, Self.scoreAsString)
        case "GET /api/v1/comments/{id}/replies":
            if case .object(var root) = json, let i = root.members.firstIndex(where: { $0.key == "replies" }),
               case .array(let replies) = root.members[i].value {
                root.members[i].value = .array(replies.map { reply in
                    guard case .object(let m) = reply else { return reply }
                    return .object(JSONObject(m.members.filter { $0.key != "reply_count" }))
                })
                json = .object(root)
            }
        case "GET /api/v1/comments/{id}":
            json = Self.map(json, Self.oldestFirst)
        default:
            break
        }
        var out: [UInt8] = []
        out.reserveCapacity(body.count + 64)
        json.serialize(into: &out)
        return out
    }

    /// The body as the Go rewrite's storage layer writes it: `strings.Join(strings.Fields(body), " ")`, so runs of
    /// spaces, tabs and newlines become one space and the ends are trimmed. Its answer echoes the body unchanged.
    static func storedBody(_ body: String) -> String {
        body.split(whereSeparator: \.isWhitespace).joined(separator: " ")
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

    /// Applies `transform` to every object's members, children first.
    private static func map(_ json: JSONValue, _ transform: (inout [JSONObject.Member]) -> Void) -> JSONValue {
        switch json {
        case .object(let object):
            var members = object.members.map { JSONObject.Member(key: $0.key, value: Self.map($0.value, transform)) }
            transform(&members)
            return .object(JSONObject(members))
        case .array(let items):
            return .array(items.map { Self.map($0, transform) })
        default:
            return json
        }
    }

    private static func goTimestamps(_ members: inout [JSONObject.Member]) {
        for i in members.indices where members[i].key == "created_at" || members[i].key == "updated_at" {
            if case .string(let s) = members[i].value { members[i].value = .string(Self.goTimestamp(s)) }
        }
    }

    private static func scoreAsString(_ members: inout [JSONObject.Member]) {
        guard members.contains(where: { $0.key == "post_id" }), members.contains(where: { $0.key == "body" }),
              let i = members.firstIndex(where: { $0.key == "score" }), case .number(let n) = members[i].value else { return }
        members[i].value = .string(n.text)
    }

    private static func oldestFirst(_ members: inout [JSONObject.Member]) {
        guard members.contains(where: { $0.key == "post_id" }), let i = members.firstIndex(where: { $0.key == "replies" }),
              case .array(let replies) = members[i].value else { return }
        members[i].value = .array(replies.sorted { a, b in
            let ka = Self.sortKey(a), kb = Self.sortKey(b)
            return ka.0 != kb.0 ? ka.0 < kb.0 : ka.1 < kb.1
        })
    }

    /// (created_at, id as zero-padded text): the Python generator sorts by the same pair.
    private static func sortKey(_ reply: JSONValue) -> (String, String) {
        let created = reply["created_at"]?.stringValue ?? ""
        let id = reply["id"]?.numberValue?.text ?? ""
        return (created, String(repeating: "0", count: max(0, 24 - id.count)) + id)
    }
}
