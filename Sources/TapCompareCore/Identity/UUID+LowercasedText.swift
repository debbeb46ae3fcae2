import Foundation

extension UUID {
    /// The canonical text in lower case (`01a2487d-82bf-716f-976c-cfb0bd74780c`), as request ids, the ledger and
    /// captures write ids.
    ///
    /// Formatted here, not as `uuidString.lowercased()`: that goes through `vsnprintf` and then builds a second
    /// string, and it ran for every request id and every ledger row (0.7% of the proxy's core at sample rate 1.0,
    /// `perf`, issue 16).
    public var lowercasedText: String {
        let bytes = self.uuid
        return withUnsafeBytes(of: bytes) { raw in
            String(unsafeUninitializedCapacity: 36) { out in
                let digits: StaticString = "0123456789abcdef"
                let hex = digits.utf8Start
                var o = 0
                for i in 0..<16 {
                    if i == 4 || i == 6 || i == 8 || i == 10 {
                        out[o] = UInt8(ascii: "-")
                        o += 1
                    }
                    let byte = raw[i]
                    out[o] = hex[Int(byte >> 4)]
                    out[o + 1] = hex[Int(byte & 0x0f)]
                    o += 2
                }
                return 36
            }
        }
    }
}
