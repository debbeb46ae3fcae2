import Foundation
import NIOCore
import TapCompareCore

/// Rows in the text format of `COPY … FROM STDIN` (PostgreSQL's default: tab between columns, newline after each
/// row, `\N` for NULL), written straight into one `ByteBuffer`.
///
/// In that format only four bytes of a value need escaping: backslash, tab, newline and carriage return (the
/// server reads `\\`, `\t`, `\n`, `\r` back as them). Everything else — including any other control character and
/// all of Unicode — is sent as its UTF-8 bytes, which the server takes verbatim. A NUL byte cannot be stored in a
/// PostgreSQL text value by any route; it reaches the server as is and the server refuses the row
/// (SQLSTATE 22021), as it refuses the same value bound as a parameter.
///
/// Values are written in the text form PostgreSQL's input functions read back exactly: timestamps with all six
/// fractional digits in UTC (the same microsecond PostgresNIO's binary encoding sends), doubles as Swift's
/// shortest round-trip form, UUIDs as lowercase hex.
struct PostgresCopyText {
    private(set) var buffer: ByteBuffer
    private var columnsInRow = 0

    init(capacity: Int) {
        self.buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// Ends the current row.
    mutating func endRow() {
        self.buffer.writeInteger(UInt8(ascii: "\n"))
        self.columnsInRow = 0
    }

    private mutating func separate() {
        if self.columnsInRow > 0 { self.buffer.writeInteger(UInt8(ascii: "\t")) }
        self.columnsInRow += 1
    }

    mutating func null() {
        self.separate()
        self.buffer.writeInteger(UInt8(ascii: "\\"))
        self.buffer.writeInteger(UInt8(ascii: "N"))
    }

    /// Text (also JSON text for a `jsonb` column), escaped.
    mutating func text(_ value: String) {
        self.separate()
        var value = value
        value.withUTF8 { bytes in
            // Most values need no escape: one copy of the whole value.
            guard bytes.contains(where: Self.needsEscape) else {
                self.buffer.writeBytes(bytes)
                return
            }
            var start = 0
            for (index, byte) in bytes.enumerated() where Self.needsEscape(byte) {
                self.buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start..<index]))
                self.buffer.writeInteger(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\t"): self.buffer.writeInteger(UInt8(ascii: "t"))
                case UInt8(ascii: "\n"): self.buffer.writeInteger(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): self.buffer.writeInteger(UInt8(ascii: "r"))
                default: self.buffer.writeInteger(UInt8(ascii: "\\"))
                }
                start = index + 1
            }
            self.buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start...]))
        }
    }

    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }

    mutating func text(_ value: String?) {
        if let value { self.text(value) } else { self.null() }
    }

    mutating func integer(_ value: Int) {
        self.separate()
        self.writeDecimal(value)
    }

    mutating func integer(_ value: Int?) {
        if let value { self.integer(value) } else { self.null() }
    }

    private mutating func writeDecimal(_ value: Int) {
        if value < 0 {
            self.buffer.writeInteger(UInt8(ascii: "-"))
        }
        self.writeDigits(value.magnitude, minimumWidth: 1)
    }

    /// `value` in decimal, left-padded with zeros to `minimumWidth`.
    private mutating func writeDigits(_ value: UInt, minimumWidth: Int) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { out in
            repeat {
                out[19 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0 || count < minimumWidth
            self.buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(out)[(20 - count)...]))
        }
    }

    mutating func double(_ value: Double?) {
        guard let value else { return self.null() }
        self.separate()
        if value.isNaN {
            self.buffer.writeStaticString("NaN")
        } else if value.isInfinite {
            self.buffer.writeStaticString(value < 0 ? "-Infinity" : "Infinity")
        } else {
            // Swift's description is the shortest text that reads back as the same double (`2.1`, `1e-05`).
            self.buffer.writeString(value.description)
        }
    }

    mutating func bool(_ value: Bool) {
        self.separate()
        self.buffer.writeInteger(value ? UInt8(ascii: "t") : UInt8(ascii: "f"))
    }

    mutating func uuid(_ value: UUID) {
        self.separate()
        let hex: StaticString = "0123456789abcdef"
        withUnsafeBytes(of: value.uuid) { bytes in
            hex.withUTF8Buffer { digits in
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        self.buffer.writeInteger(UInt8(ascii: "-"))
                    }
                    self.buffer.writeInteger(digits[Int(byte >> 4)])
                    self.buffer.writeInteger(digits[Int(byte & 0x0f)])
                }
            }
        }
    }

    mutating func uuid(_ value: UUID?) {
        if let value { self.uuid(value) } else { self.null() }
    }

    /// PostgreSQL's epoch, 2000-01-01 UTC.
    static let postgresEpoch = Date(timeIntervalSince1970: 946_684_800)

    /// A `timestamptz` in UTC, `2026-12-05 00:21:43.123000+00`.
    ///
    /// The microsecond is computed as PostgresNIO's binary `Date` encoding computes it (microseconds since
    /// 2000-01-01, truncated toward zero), so a row reads back the same whichever path wrote it — a spooled batch
    /// replayed through this path hits the primary key the first write stored.
    mutating func timestamp(_ date: Date) {
        self.separate()
        // The very arithmetic of PostgresNIO's `Date.encode` (same operations, same rounding).
        let micros = Int64(date.timeIntervalSince(Self.postgresEpoch) * Double(1_000_000))
        var days = micros / 86_400_000_000
        var ofDay = micros % 86_400_000_000
        if ofDay < 0 {
            ofDay += 86_400_000_000
            days -= 1
        }
        // Days since 2000-01-01 to a civil date; 10,957 days lie between 1970-01-01 and 2000-01-01.
        let (year, month, day) = CivilDate.fromDays(Int(days) + 10_957)
        self.writeDigits(UInt(clamping: year), minimumWidth: 4)
        self.buffer.writeInteger(UInt8(ascii: "-"))
        self.writeDigits(UInt(month), minimumWidth: 2)
        self.buffer.writeInteger(UInt8(ascii: "-"))
        self.writeDigits(UInt(day), minimumWidth: 2)
        self.buffer.writeInteger(UInt8(ascii: " "))
        let seconds = ofDay / 1_000_000
        self.writeDigits(UInt(seconds / 3_600), minimumWidth: 2)
        self.buffer.writeInteger(UInt8(ascii: ":"))
        self.writeDigits(UInt(seconds / 60 % 60), minimumWidth: 2)
        self.buffer.writeInteger(UInt8(ascii: ":"))
        self.writeDigits(UInt(seconds % 60), minimumWidth: 2)
        self.buffer.writeInteger(UInt8(ascii: "."))
        self.writeDigits(UInt(ofDay % 1_000_000), minimumWidth: 6)
        self.buffer.writeStaticString("+00")
    }
}
