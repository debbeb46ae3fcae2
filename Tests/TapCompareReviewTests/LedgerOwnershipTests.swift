import Foundation
import TapCompareTestSupport
import Testing

/// The ledger is the only owner of its tables (issue 20): TapCompareLedger's `LedgerReader` holds every statement
/// that reads them, and the review renders what it returns, with no SQL and no database connection of its own.
@Suite struct LedgerOwnershipTests {
    /// What only a module that talks to the database would write.
    static let databaseMarks = ["import PostgresNIO", "import SQLiteNIO", "SELECT ", "INSERT INTO ", "DELETE FROM ", "UPDATE ", " WHERE "]

    @Test func theReviewHoldsNoSQLAndOpensNoDatabase() throws {
        let directory = Paths.repository + "/Sources/TapCompareReview"
        let files = try #require(FileManager.default.enumerator(atPath: directory)?.allObjects as? [String]).filter { $0.hasSuffix(".swift") }
        #expect(files.count > 20, "the review's sources are where this test looks for them")
        var found: [String] = []
        for file in files {
            let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            for mark in Self.databaseMarks where text.contains(mark) {
                found.append("\(file): \(mark)")
            }
        }
        #expect(found.isEmpty, "reads of the ledger belong in Sources/TapCompareLedger/Reading: \(found)")
    }
}
