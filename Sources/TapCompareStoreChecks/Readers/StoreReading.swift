import Foundation
import TapCompareJSON

/// What one side's copy of a store holds for a check.
public enum StoreReading: Sendable, Equatable {
    /// The record as a JSON value (rows as objects keyed by column, hashes as objects, JSON strings parsed).
    case found(JSONValue)
    /// No row, no key, no matching event.
    case missing
}

/// One read, with every value already resolved for the side it is sent to.
enum StoreReadRequest: Sendable {
    /// A validated `SELECT` and its parameters (`nil` binds SQL NULL).
    case query(SelectStatement, binds: [JSONValue])
    case key(String)
    /// The first event of `stream` at or after `since` whose value at `path` equals `equals`, waited for until
    /// `within` has passed.
    case event(stream: String, path: JSONPointer, equals: JSONValue, since: Date, within: Duration)
}

/// One side's connection to one store.
///
/// - Warning: ``read(_:timeout:)`` must only ever read: the request types carry no write, and each reader adds its
///   store's own read-only guard (a read-only transaction, `query_only`, read commands only).
protocol StoreSideReader: Sendable {
    /// - Throws: ``StoreReadError``.
    func read(_ request: StoreReadRequest, timeout: Duration) async throws(StoreReadError) -> StoreReading
    /// Runs what the connection needs in the background (a pool's maintenance) until cancelled.
    func run() async
    func close() async
}

extension StoreSideReader {
    func run() async {}
}

/// Why a read failed, with a low-cardinality reason for metrics (`connect_failed`, `timeout`, `query_failed`, …).
/// The message never holds a password or a value read from the store.
public struct StoreReadError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var message: String
    public var description: String { self.message }

    public init(reason: String, message: String) {
        self.reason = reason
        self.message = message
    }
}

extension JSONValue {
    /// A stored string as a store check sees it: parsed when it is a JSON object or array (a cached rendering, an
    /// event payload), the text itself otherwise, and `base64:…` for bytes that are not UTF-8.
    ///
    /// Scalars stay strings: in a Redis hash or stream every value is a string, so `"5"` must not turn into `5`
    /// and hide a real number-versus-string change inside a JSON payload.
    static func storeText(_ bytes: some Collection<UInt8>) -> JSONValue {
        if let first = bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }),
           first == UInt8(ascii: "{") || first == UInt8(ascii: "["),
           let parsed = try? JSONParser.parse(bytes) {
            return parsed
        }
        let array = Array(bytes)
        if let text = String(validating: array, as: UTF8.self) { return .string(text) }
        return .string("base64:" + Data(array).base64EncodedString())
    }
}
