import NIOCore
import NIOHTTP1
import TapCompareComparison
import TapCompareCore
import TapCompareJSON
import TapCompareRules

/// The diff engine's "complete list" property: the discrepancies between two JSON bodies, read as a JSON Patch
/// and applied to the legacy body, give the candidate body; and they are the discrepancies of the two bodies parsed in
/// full. Any other pair of bodies must simply not crash.
enum DiffPatchProperty {
    /// Built once: the rules-free comparator is immutable and the fuzzer calls this millions of times.
    static let comparator = Comparator()
    static let rules = comparator.ruleSet.routeRules(route: "GET /fuzz", method: "GET", path: "/fuzz")
    static let headers: HTTPHeaders = ["Content-Type": "application/json"]

    static func check(_ input: [UInt8]) throws(FuzzPropertyViolation) {
        let split = input.firstIndex(of: 0) ?? input.count / 2
        let legacyBytes = Array(input[..<split])
        let candidateBytes = Array(input[min(input.count, split + 1)...])
        let legacy = ResponseSnapshot(status: .ok, headers: headers, body: ByteBuffer(bytes: legacyBytes))
        let candidate = ResponseSnapshot(status: .ok, headers: headers, body: ByteBuffer(bytes: candidateBytes))
        try Self.checkGuidedParse(legacyBytes, candidateBytes)
        let result = comparator.compare(legacy: legacy, candidate: candidate, rules: rules)
        guard result.skipReason == nil,
              let l = try? JSONParser.parse(legacyBytes), let c = try? JSONParser.parse(candidateBytes) else { return }
        // The comparator walks rule-free bodies in lockstep, building only what differs: its list must be the
        // list of the two bodies parsed in full.
        guard result.discrepancies == comparator.diff(l, c, rules: rules) else {
            throw FuzzPropertyViolation("the bodies walked in lockstep give other discrepancies than the bodies parsed in full")
        }
        guard let patched = try? result.discrepancies.jsonPatch.apply(to: l) else {
            throw FuzzPropertyViolation("the \(result.discrepancies.count) discrepancies do not apply to legacy as a JSON Patch")
        }
        guard patched == c else { throw FuzzPropertyViolation("legacy + discrepancies != candidate") }
    }

    /// The comparator parses the candidate against legacy (``JSONParser/parseSimilarDocuments(_:_:options:)``):
    /// that must give exactly what parsing the candidate alone gives, value, duplicate keys and error.
    static func checkGuidedParse(_ legacyBytes: [UInt8], _ candidateBytes: [UInt8]) throws(FuzzPropertyViolation) {
        let guided = legacyBytes.withUnsafeBytes { l in
            candidateBytes.withUnsafeBytes { c in JSONParser.parseSimilarDocuments(l, c).second }
        }
        let alone = candidateBytes.withUnsafeBytes { c in
            Result { () throws(JSONParseError) in try JSONParser.parseDocument(c) }
        }
        switch (guided, alone) {
        case (.success(let x), .success(let y)):
            guard x.value.serialized() == y.value.serialized(), x.hasDuplicateKeys == y.hasDuplicateKeys else {
                throw FuzzPropertyViolation("the candidate parsed against legacy differs from the candidate parsed alone")
            }
        case (.failure(let x), .failure(let y)):
            guard x == y else { throw FuzzPropertyViolation("parsed against legacy the candidate fails with \(x), alone with \(y)") }
        default:
            throw FuzzPropertyViolation("parsed against legacy the candidate gives \(guided), alone \(alone)")
        }
    }
}
