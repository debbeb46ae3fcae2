import Foundation
import Logging
import SQLiteNIO
import TapCompareJSON

/// Reads one side's SQLite file with the check's `SELECT` on a connection set to `query_only`.
///
/// The file must exist (opening a missing path would create one: a write). Rows become objects keyed by column
/// with SQLite's own types: integers and reals as numbers, text as strings, blobs as `base64:…`, `NULL` as null.
/// SQLite has no statement timeout; a query still running after the check's timeout is abandoned.
final class SQLiteStoreReader: StoreSideReader {
    let path: String
    let logger: Logger
    private let connection = ConnectionSlot<SQLiteConnection>()

    init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    func close() async {
        guard let connection = await self.connection.take() else { return }
        // In a task of its own: SQLiteNIO does nothing for a cancelled caller, and a connection left open when it
        // is released is a fatal error in its deinit (a service stopped by cancellation closes from one).
        await Task { try? await connection.close() }.value
    }

    private func open() async throws(StoreReadError) -> SQLiteConnection {
        let path = self.path
        let logger = self.logger
        do {
            return try await self.connection.get {
                guard FileManager.default.fileExists(atPath: path) else {
                    throw StoreReadError(reason: "connect_failed", message: "SQLite file '\(path)' does not exist")
                }
                let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
                do {
                    _ = try await connection.query("PRAGMA query_only = ON", [])
                    _ = try await connection.query("PRAGMA busy_timeout = 1000", [])
                } catch {
                    try? await connection.close()
                    throw error
                }
                return connection
            }
        } catch let error as StoreReadError {
            throw error
        } catch {
            throw StoreReadError(reason: "connect_failed", message: "cannot open SQLite file '\(path)': \(error)")
        }
    }

    func read(_ request: StoreReadRequest, timeout: Duration) async throws(StoreReadError) -> StoreReading {
        guard case .query(let statement, let values) = request else {
            throw StoreReadError(reason: "unsupported", message: "an sqlite store is read with query:")
        }
        let connection = try await self.open()
        let binds: [SQLiteData] = values.map { value in
            switch value {
            case .null: return .null
            case .bool(let b): return .integer(b ? 1 : 0)
            case .number(let n): return Int(n.text).map { .integer($0) } ?? .float(n.doubleValue)
            case .string(let s): return .text(s)
            case .array, .object: return .text(value.serialized())
            }
        }
        let rows: [SQLiteRow]
        do {
            rows = try await withReadTimeout(timeout) { try await connection.query(statement.text, binds) }
        } catch let error as StoreReadError {
            throw error
        } catch {
            throw StoreReadError(reason: "query_failed", message: "\(error)")
        }
        guard rows.count <= PostgresStoreReader.maxRows else {
            throw StoreReadError(reason: "too_many_rows", message: "the query returned more than \(PostgresStoreReader.maxRows) rows; a store check reads one record")
        }
        let objects = rows.map { row in
            JSONValue.object(JSONObject(row.columns.map { JSONObject.Member(key: $0.name, value: Self.json($0.data)) }))
        }
        switch objects.count {
        case 0: return .missing
        case 1: return .found(objects[0])
        default: return .found(.array(objects))
        }
    }

    static func json(_ data: SQLiteData) -> JSONValue {
        switch data {
        case .integer(let i): return .integer(i)
        case .float(let d): return JSONNumber(String(d)).map(JSONValue.number) ?? .string(String(d))
        case .text(let s): return .string(s)
        case .blob(let buffer): return .string("base64:" + Data(buffer.readableBytesView).base64EncodedString())
        case .null: return .null
        }
    }
}
