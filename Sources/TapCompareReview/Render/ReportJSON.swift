import Foundation
import TapCompareLedger

/// The JSON form of reports and API answers: snake_case keys, sorted, times as the ledger's ISO-8601 text with
/// milliseconds (`2026-11-22T02:04:33.123Z`). Documented in `docs/report-json.md`.
public enum ReportJSON {
    public static func encoder(pretty: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(LedgerTime.format(date))
        }
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = LedgerTime.parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a time like 2026-11-22T02:04:33.123Z"))
            }
            return date
        }
        return decoder
    }

    /// The report as pretty, key-sorted JSON text ending in a newline.
    public static func render(_ report: Report) throws -> String {
        String(decoding: try self.encoder().encode(report), as: UTF8.self) + "\n"
    }
}
