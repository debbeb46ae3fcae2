import TapCompareComparison
import TapCompareCore
import TapCompareJSON
import TapCompareRules
import Testing

/// The comparator parses the candidate's body against legacy's, so unchanged parts share storage and the diff
/// skips them (and aligns arrays of shared elements without hashing). Whatever is shared, the discrepancies must
/// be exactly those of two separately parsed bodies.
@Suite("Diff of bodies parsed against each other")
struct SharedStorageDiffTests {
    static let route = "GET /api/v1/comments/{id}"

    /// Discrepancies through the comparator (bodies parsed against each other) and through `diff` on separately
    /// parsed values must agree, element for element.
    static func expectSameAsSeparate(_ legacy: String, _ candidate: String, rules: RuleSet = .empty, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let viaBodies = Fixtures.diff(legacy, candidate, rules: rules, route: Self.route)
        let comparator = Comparator(ruleSet: rules)
        let routeRules = rules.routeRules(route: Self.route, method: "GET", path: "/api/v1/comments/1")
        let separate = comparator.diff(try JSONValue(parsing: legacy), try JSONValue(parsing: candidate), rules: routeRules)
        #expect(viaBodies == separate, "legacy \(legacy)\ncandidate \(candidate)", sourceLocation: sourceLocation)
    }

    static func listing(_ ids: [Int], text: (Int) -> String = { "c\($0)" }) -> String {
        "{\"comments\":[" + ids.map { #"{"id":\#($0),"text":"\#(text($0))","votes":{"up":\#($0 % 7),"down":0}}"# }.joined(separator: ",") + "]}"
    }

    @Test("in-place edits, a repeated id, swapped ids, one removed and one added: same discrepancies as separate parses")
    func crafted() throws {
        let ids = Array(1...12)
        let legacy = Self.listing(ids)
        // One field changed in two elements far apart: the gap spans shared elements between them.
        try Self.expectSameAsSeparate(legacy, Self.listing(ids, text: { $0 == 2 || $0 == 11 ? "edited" : "c\($0)" }))
        // A changed element takes the id of a shared one: ids repeat on the candidate's side, no identity alignment.
        var repeated = ids
        repeated[1] = 7
        try Self.expectSameAsSeparate(legacy, Self.listing(repeated))
        // Two changed elements swap ids (and texts follow): a reordering by identity.
        var swapped = ids
        swapped.swapAt(2, 9)
        try Self.expectSameAsSeparate(legacy, Self.listing(swapped))
        // Same length, one id gone and a new one: removed and added.
        var replaced = ids
        replaced[5] = 99
        try Self.expectSameAsSeparate(legacy, Self.listing(replaced))
        // Under an ignore rule inside the elements.
        let rules = try Fixtures.rules("rules:\n  - route: \"*\"\n    ignore: ['$.comments[*].votes.down']\n")
        try Self.expectSameAsSeparate(legacy, Self.listing(ids, text: { $0 == 4 ? "x" : "c\($0)" }), rules: rules)
    }

    @Test("random edits of an id-keyed listing: same discrepancies as separate parses", arguments: 0..<40)
    func random(_ seed: Int) throws {
        var random = SeededRandom(seed: UInt64(seed) &+ 1000)
        let count = Int.random(in: 2...20, using: &random)
        let ids = Array(1...count)
        var edited = ids
        var texts: [Int: String] = [:]
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            let i = Int.random(in: 0..<count, using: &random)
            switch Int.random(in: 0..<4, using: &random) {
            case 0: texts[edited[i]] = "edited\(seed)"
            case 1: edited[i] = edited[Int.random(in: 0..<count, using: &random)]
            case 2: edited.swapAt(i, Int.random(in: 0..<count, using: &random))
            default: edited[i] = 100 + i
            }
        }
        try Self.expectSameAsSeparate(Self.listing(ids), Self.listing(edited, text: { texts[$0] ?? "c\($0)" }))
    }
}
