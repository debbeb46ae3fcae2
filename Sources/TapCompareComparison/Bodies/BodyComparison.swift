import Crypto
import NIOCore
import TapCompareCore
import TapCompareJSON

/// Comparisons of non-JSON bodies: text line by line, forms as key/value pairs, anything else by length and
/// SHA-256. All report ``DiscrepancyKind/bodyChanged``.
enum BodyComparison {
    /// `text/*`: aligned line by line; the first differing lines are kept (`line N: ...`).
    static func text(_ a: [UInt8], _ b: [UInt8], maxLines: Int) -> [Discrepancy] {
        let la = Self.lines(a)
        let lb = Self.lines(b)
        var prefix = 0
        while prefix < la.count && prefix < lb.count && la[prefix] == lb[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < la.count - prefix && suffix < lb.count - prefix && la[la.count - 1 - suffix] == lb[lb.count - 1 - suffix] { suffix += 1 }
        let ga = Array(la[prefix..<(la.count - suffix)])
        let gb = Array(lb[prefix..<(lb.count - suffix)])
        var steps: [ArrayAlignment.Step]
        if ga.count * gb.count <= 1_000_000 {
            steps = ArrayAlignment.lcs(n: ga.count, m: gb.count) { ga[$0] == gb[$1] }
        } else {
            steps = (0..<min(ga.count, gb.count)).map { .pair($0, $0) }
            steps += (min(ga.count, gb.count)..<ga.count).map { .removed($0) }
            steps += (min(ga.count, gb.count)..<gb.count).map { .added($0) }
        }
        var result: [Discrepancy] = []
        var pendingRemoved: [Int] = []
        func line(_ n: Int, _ text: String) -> String { JSONValue.quoted("line \(n + 1 + prefix): \(text)") }
        for step in steps where result.count < maxLines {
            switch step {
            case .pair: continue
            case .removed(let i): pendingRemoved.append(i)
            case .added(let j):
                // A removal followed by an addition is one changed line.
                if !pendingRemoved.isEmpty {
                    let i = pendingRemoved.removeFirst()
                    result.append(Discrepancy(path: "", field: "$", kind: .bodyChanged, legacyValue: line(i, ga[i]), candidateValue: line(j, gb[j])))
                } else {
                    result.append(Discrepancy(path: "", field: "$", kind: .bodyChanged, legacyValue: nil, candidateValue: line(j, gb[j])))
                }
            }
        }
        for i in pendingRemoved where result.count < maxLines {
            result.append(Discrepancy(path: "", field: "$", kind: .bodyChanged, legacyValue: line(i, ga[i]), candidateValue: nil))
        }
        return result
    }

    static func lines(_ bytes: [UInt8]) -> [String] {
        var out: [String] = []
        var start = 0
        for (i, c) in bytes.enumerated() where c == 0x0A {
            var end = i
            if end > start && bytes[end - 1] == 0x0D { end -= 1 }
            out.append(String(decoding: bytes[start..<end], as: UTF8.self))
            start = i + 1
        }
        if start < bytes.count { out.append(String(decoding: bytes[start...], as: UTF8.self)) }
        return out
    }

    /// `application/x-www-form-urlencoded`: pairs compared per key (order of keys ignored, order of a key's
    /// repeated values kept). Path `/key`, field `$.key`.
    static func form(_ a: [UInt8], _ b: [UInt8]) -> [Discrepancy] {
        let fa = Self.formPairs(a)
        let fb = Self.formPairs(b)
        var result: [Discrepancy] = []
        func value(_ values: [String]) -> String {
            values.count == 1 ? JSONValue.quoted(values[0]) : JSONValue.array(values.map { .string($0) }).serialized()
        }
        for (key, va) in fa.pairs {
            let path = JSONPointer(tokens: [key]).description
            let field = [JSONPathElement.key(key)].collapsedField
            if let vb = fb.values[key] {
                if va != vb { result.append(Discrepancy(path: path, field: field, kind: .bodyChanged, legacyValue: value(va), candidateValue: value(vb))) }
            } else {
                result.append(Discrepancy(path: path, field: field, kind: .bodyChanged, legacyValue: value(va), candidateValue: nil))
            }
        }
        for (key, vb) in fb.pairs where fa.values[key] == nil {
            result.append(
                Discrepancy(path: JSONPointer(tokens: [key]).description, field: [JSONPathElement.key(key)].collapsedField, kind: .bodyChanged, legacyValue: nil, candidateValue: value(vb))
            )
        }
        return result
    }

    static func formPairs(_ bytes: [UInt8]) -> (pairs: [(String, [String])], values: [String: [String]]) {
        var order: [String] = []
        var values: [String: [String]] = [:]
        for part in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let kv = part.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.percentDecode(kv[0])
            let value = kv.count > 1 ? Self.percentDecode(kv[1]) : ""
            if values[key] == nil { order.append(key) }
            values[key, default: []].append(value)
        }
        return (order.map { ($0, values[$0]!) }, values)
    }

    static func percentDecode(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x41...0x46: return c - 0x41 + 10
            case 0x61...0x66: return c - 0x61 + 10
            default: return nil
            }
        }
        while i < bytes.endIndex {
            let c = bytes[i]
            if c == UInt8(ascii: "+") {
                out.append(0x20)
            } else if c == UInt8(ascii: "%"), i + 2 < bytes.endIndex, let h = hex(bytes[i + 1]), let l = hex(bytes[i + 2]) {
                out.append(h << 4 | l)
                i += 2
            } else {
                out.append(c)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Anything else: one discrepancy with each side's length and SHA-256.
    static func binary(_ a: [UInt8], _ b: [UInt8]) -> [Discrepancy] {
        func summary(_ bytes: [UInt8]) -> String {
            let digest = SHA256.hash(data: bytes).map { String(format2: $0) }.joined()
            return JSONValue.quoted("\(bytes.count) bytes, sha256 \(digest)")
        }
        return [Discrepancy(path: "", field: "$", kind: .bodyChanged, legacyValue: summary(a), candidateValue: summary(b))]
    }
}

extension String {
    /// Two lower-case hex digits.
    fileprivate init(format2 byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self.init([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}
