import NIOCore
import NIOHTTP1
import TapCompareComparison
import TapCompareCore
import TapCompareJSON
import TapCompareRules

/// The input is two bodies separated by the first 0x00 byte. The diff engine must not crash or hang on any
/// pair, and when both are JSON its discrepancies, read as a JSON Patch and applied to the legacy body, must
/// give the candidate body (the "complete list" property of the diff engine).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDiffEngine(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let split = bytes.firstIndex(of: 0) ?? size / 2
    let legacyBytes = Array(bytes[..<split])
    let candidateBytes = Array(bytes[min(size, split + 1)...])
    let headers: HTTPHeaders = ["Content-Type": "application/json"]
    let legacy = ResponseSnapshot(status: .ok, headers: headers, body: ByteBuffer(bytes: legacyBytes))
    let candidate = ResponseSnapshot(status: .ok, headers: headers, body: ByteBuffer(bytes: candidateBytes))
    let comparator = Comparator()
    let rules = comparator.ruleSet.routeRules(route: "GET /fuzz", method: "GET", path: "/fuzz")
    let result = comparator.compare(legacy: legacy, candidate: candidate, rules: rules)
    if let l = try? JSONParser.parse(legacyBytes), let c = try? JSONParser.parse(candidateBytes), result.skipReason == nil {
        guard let patched = try? result.discrepancies.jsonPatch.apply(to: l) else {
            fatalError("the discrepancies do not apply as a patch")
        }
        if patched != c { fatalError("legacy + discrepancies != candidate") }
    }
    return 0
}
