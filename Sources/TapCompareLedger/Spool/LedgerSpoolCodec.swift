import Foundation

/// How a batch is written into a spool frame: JSON, with times as integer milliseconds so a replayed row has
/// exactly the `recorded_at` (and so the primary key) it would have had.
///
/// JSON rather than a binary format because the spool is for outages, not the hot path, and an operator can
/// read a stuck frame with `jq`.
enum LedgerSpoolCodec {
    static func encode(_ rows: [LedgerComparison]) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Int64((date.timeIntervalSince1970 * 1000).rounded()))
        }
        return [UInt8](try encoder.encode(rows))
    }

    static func decode(_ bytes: [UInt8]) throws -> [LedgerComparison] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let millis = try decoder.singleValueContainer().decode(Int64.self)
            return Date(timeIntervalSince1970: Double(millis) / 1000)
        }
        return try decoder.decode([LedgerComparison].self, from: Data(bytes))
    }

    /// What a frame that does not ``decode(_:)`` still tells about its batch: how many comparisons it held when it
    /// is a JSON array (the layout of every version so far), and when they were recorded from the `recordedAt`
    /// milliseconds of its elements, where they have them.
    /// - Returns: `nil` when the bytes are not a JSON array (how many comparisons they held is unknown).
    static func summary(of bytes: [UInt8]) -> (count: Int, from: Date?, to: Date?)? {
        guard let elements = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [Any] else { return nil }
        let times = elements.compactMap { element -> Date? in
            guard let millis = (element as? [String: Any])?["recordedAt"] as? NSNumber else { return nil }
            return Date(timeIntervalSince1970: millis.doubleValue / 1000)
        }
        return (elements.count, times.min(), times.max())
    }
}
