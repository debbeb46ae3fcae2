import NIOCore
import PostgresNIO

/// A one-dimensional Postgres array whose elements may be NULL, in the binary wire format.
///
/// PostgresNIO encodes `[T]` but not `[T?]`; the batch insert binds one array per column and reads them back with
/// `unnest(...)`, so nullable columns (`candidate_status`, `reason`, samples, …) need this. Layout (see
/// PostgreSQL's `array_send`): ndim, has-nulls flag, element type OID, then per dimension its length and lower
/// bound, then per element a length (-1 for NULL) and its bytes.
struct PostgresNullableArray<Element: PostgresArrayEncodable & PostgresNonThrowingEncodable>: PostgresNonThrowingEncodable {
    var elements: [Element?]

    init(_ elements: [Element?]) {
        self.elements = elements
    }

    static var psqlType: PostgresDataType { Element.psqlArrayType }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        let hasNulls = self.elements.contains { $0 == nil }
        buffer.writeInteger(self.elements.isEmpty ? 0 : 1, as: Int32.self)
        buffer.writeInteger(hasNulls ? 1 : 0, as: Int32.self)
        buffer.writeInteger(Element.psqlType.rawValue)
        guard !self.elements.isEmpty else { return }
        buffer.writeInteger(Int32(self.elements.count), as: Int32.self)
        buffer.writeInteger(1, as: Int32.self)
        for element in self.elements {
            guard let element else {
                buffer.writeInteger(-1, as: Int32.self)
                continue
            }
            let lengthIndex = buffer.writerIndex
            buffer.writeInteger(0, as: Int32.self)
            let start = buffer.writerIndex
            element.encode(into: &buffer, context: context)
            buffer.setInteger(Int32(buffer.writerIndex - start), at: lengthIndex, as: Int32.self)
        }
    }
}
