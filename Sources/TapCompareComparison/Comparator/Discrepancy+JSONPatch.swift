import TapCompareCore
import TapCompareJSON

extension Array where Element == Discrepancy {
    /// The body discrepancies as an RFC 6902 patch from the legacy body to the candidate body:
    /// `missing_in_candidate` → `remove`, `extra_in_candidate` → `add`, other JSON kinds → `replace`.
    /// Status and header discrepancies have no place in a body patch and are left out, as are `duplicate_key`
    /// (the members compare by their last occurrence, which the other operations already cover) and values that
    /// are not JSON (`body_changed` summaries).
    public var jsonPatch: JSONPatch {
        JSONPatch(self.compactMap { d -> JSONPatch.Operation? in
            guard d.kind != .status, d.kind != .header, d.kind != .duplicateKey, let path = try? JSONPointer(parsing: d.path) else { return nil }
            switch d.kind {
            case .missingInCandidate: return .remove(path: path)
            case .extraInCandidate:
                guard let v = d.candidateValue.flatMap({ try? JSONValue(parsing: $0) }) else { return nil }
                return .add(path: path, value: v)
            default:
                guard let v = d.candidateValue.flatMap({ try? JSONValue(parsing: $0) }) else { return nil }
                return .replace(path: path, value: v)
            }
        })
    }
}
