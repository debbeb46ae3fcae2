import Foundation
import Logging
import SQLiteNIO
import TapCompareJSON

/// Where one demo comment service stores the comments it creates: an embedded SQLite file, the demo's stand-in for
/// the PostgreSQL table the real services write (legacy's production store, the candidate's sister store).
///
/// The demo's write route, `POST /api/v1/comments`, is mirrored, and the store checks read this table on both
/// sides after each write: so the demo shows a write whose HTTP answer is right and whose stored record is not,
/// with no server to install.
public final class DemoCommentRecords: Sendable {
    /// The table's columns, in the order the store check selects them.
    public static let columns = ["id", "post_id", "parent_id", "author_id", "body", "score"]

    public let path: String
    private let connection: SQLiteConnection

    private init(path: String, connection: SQLiteConnection) {
        self.path = path
        self.connection = connection
    }

    /// Creates the file afresh (a previous run's file and its WAL are removed first) with an empty `comments` table.
    ///
    /// WAL mode lets the store check's reader (its own read-only connection) read while the service writes.
    /// - Throws: when the file cannot be removed or created.
    public static func create(path: String, logger: Logger) async throws -> DemoCommentRecords {
        for suffix in ["", "-wal", "-shm", "-journal"] where FileManager.default.fileExists(atPath: path + suffix) {
            try FileManager.default.removeItem(atPath: path + suffix)
        }
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            _ = try await connection.query("PRAGMA journal_mode=WAL", [])
            _ = try await connection.query("PRAGMA busy_timeout = 1000", [])
            _ = try await connection.query(
                """
                CREATE TABLE comments (
                    id INTEGER PRIMARY KEY, post_id INTEGER NOT NULL, parent_id INTEGER, author_id INTEGER NOT NULL,
                    body TEXT NOT NULL, score INTEGER NOT NULL
                )
                """,
                []
            )
        } catch {
            try? await connection.close()
            throw error
        }
        return DemoCommentRecords(path: path, connection: connection)
    }

    public func close() async {
        try? await self.connection.close()
    }

    /// Stores the comment a service has just created, read from its own answer to the write (each side's ids and
    /// values are its own), with `body` as the service stores it.
    ///
    /// - Parameters:
    ///   - created: the service's `201` answer: `{"id":…,"post_id":…,"parent_id":…,"author":{"id":…},"body":…,"score":…}`.
    ///   - storeBody: what the service's storage layer does to the body before storing it.
    /// - Throws: when the answer is not such a comment or the insert fails (the service then answers 500).
    func insert(created: [UInt8], storeBody: (String) -> String) async throws {
        let json = try JSONParser.parse(created)
        guard let id = Self.integer(json["id"]), let postID = Self.integer(json["post_id"]),
              let authorID = Self.integer(json["author"]?["id"]), let body = json["body"]?.stringValue,
              let score = Self.integer(json["score"])
        else {
            throw DemoServerError(message: "the created comment lacks id, post_id, author.id, body or score")
        }
        let parent: SQLiteData = Self.integer(json["parent_id"]).map { .integer($0) } ?? .null
        _ = try await self.connection.query(
            "INSERT OR REPLACE INTO comments (id, post_id, parent_id, author_id, body, score) VALUES (?, ?, ?, ?, ?, ?)",
            [.integer(id), .integer(postID), parent, .integer(authorID), .text(storeBody(body)), .integer(score)]
        )
    }

    /// A JSON integer (ids go beyond 2^53, so from the number's text, not a `Double`).
    private static func integer(_ value: JSONValue?) -> Int? {
        guard let number = value?.numberValue else { return nil }
        return Int(number.text)
    }
}
