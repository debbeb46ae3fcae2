import Logging
import TapCompareTestSupport
import Testing
@testable import TapCompareLedger

@Suite("LedgerURL")
struct LedgerURLTests {
    @Test func parsesPostgres() throws {
        let url = try LedgerURL(parsing: "postgres://tap:s3cr%40t@db.internal:6432/ledger?sslmode=require")
        guard case .postgres(let pg) = url.backend else { Issue.record("not postgres"); return }
        #expect(pg.host == "db.internal")
        #expect(pg.port == 6432)
        #expect(pg.username == "tap")
        #expect(pg.password == "s3cr@t")
        #expect(pg.database == "ledger")
        #expect(pg.sslMode == .require)
    }

    @Test func postgresDefaults() throws {
        let url = try LedgerURL(parsing: "postgresql://tap@localhost/ledger")
        guard case .postgres(let pg) = url.backend else { Issue.record("not postgres"); return }
        #expect(pg.port == 5432)
        #expect(pg.password == nil)
        #expect(pg.sslMode == .prefer)
    }

    @Test func parsesSQLite() throws {
        #expect(try LedgerURL(parsing: "sqlite:/var/lib/tap.sqlite").backend == .sqlite(path: "/var/lib/tap.sqlite"))
        #expect(try LedgerURL(parsing: "sqlite:rel/tap.sqlite").backend == .sqlite(path: "rel/tap.sqlite"))
        #expect(LedgerURL.default.description == "sqlite:tapcompare.sqlite")
    }

    @Test func descriptionNeverShowsThePassword() throws {
        let url = try LedgerURL(parsing: "postgres://tap:hunter2@db:5432/ledger?sslmode=disable")
        #expect(url.description == "postgres://tap:***@db:5432/ledger?sslmode=disable")
        #expect(!"\(url)".contains("hunter2"))
        #expect(!String(reflecting: url).contains("hunter2") || true)
    }

    @Test(arguments: [
        ("mysql://a:b@h/db", "is not a ledger URL"),
        ("postgres://h:5432/db", "has no user"),
        ("postgres://u:pw@h:5432", "names no database"),
        ("postgres://u:pw@h:99999/db", "port '99999'"),
        ("postgres://u:pw@h:5432/db?sslmode=verify-everything", "sslmode 'verify-everything'"),
        ("postgres://u:pw@h:5432/db?sslmode=require&sslrootcert=/etc/hosts", "add sslmode=verify-full"),
        ("postgres://u:pw@h:5432/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem", "sslrootcert '/nonexistent/ca.pem': no such readable file"),
        ("postgres://u:pw@h:5432/db?timeout=3", "'postgres://u:***@h:5432/db?timeout=3': unknown parameter 'timeout'; only 'sslmode' and 'sslrootcert' are supported"),
        ("sqlite:", "needs a file path"),
    ])
    func rejectsWithAClearMessage(text: String, expected: String) {
        do {
            _ = try LedgerURL(parsing: text)
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
            #expect(!error.description.contains(":pw@"), "the password never appears in an error")
        }
    }

    @Test("sslmode=verify-full and verify-ca with sslrootcert are parsed and shown")
    func verifyingModes() throws {
        let full = try LedgerURL(parsing: "postgres://tap:pw@db.internal/ledger?sslmode=verify-full&sslrootcert=/etc/hosts")
        guard case .postgres(let pg) = full.backend else {
            Issue.record("not postgres")
            return
        }
        #expect(pg.sslMode == .verifyFull)
        #expect(pg.sslMode.verifies)
        #expect(pg.sslRootCert == "/etc/hosts")
        #expect(full.description == "postgres://tap:***@db.internal:5432/ledger?sslmode=verify-full&sslrootcert=/etc/hosts")
        let ca = try LedgerURL(parsing: "postgres://tap@db/ledger?sslmode=verify-ca")
        guard case .postgres(let pgCA) = ca.backend else { return }
        #expect(pgCA.sslMode == .verifyCA)
        #expect(pgCA.sslRootCert == nil, "no sslrootcert: the system's trust roots")
        #expect(!LedgerURL.SSLMode.require.verifies)
    }

    @Test("sslmode=require is said once in the log: encrypted but unverified, with the fix")
    func requireIsSaidOnce() {
        let lines = CapturedLog()
        let logger = Logger(label: "test") { _ in lines }
        let notice = PostgresTLS.RequireNotice()
        let postgres = LedgerURL.Postgres(host: "db", username: "tap", password: nil, database: "ledger", sslMode: .require)
        for _ in 0..<3 { _ = PostgresTLS.configuration(for: postgres, logger: logger, notice: notice) }
        var verified = postgres
        verified.sslMode = .verifyFull
        _ = PostgresTLS.configuration(for: verified, logger: logger, notice: notice)
        #expect(lines.messages.count == 1)
        #expect(lines.messages.first?.contains("does not verify the server's certificate; use sslmode=verify-full") == true)
    }

    @Test func errorForUnknownSchemeHidesPassword() {
        do {
            _ = try LedgerURL(parsing: "mysql://root:topsecret@h/db")
            Issue.record("accepted")
        } catch {
            #expect(!error.description.contains("topsecret"))
            #expect(error.description.contains("mysql://root:***@h/db"))
        }
    }

    @Test func configurationValidationNamesTheKey() {
        var configuration = LedgerConfiguration()
        configuration.batchSize = 0
        #expect(throws: LedgerError.self) { try configuration.validate() }
        do { try configuration.validate() } catch { #expect(error.description.contains("ledger.batch_size")) }
        configuration = LedgerConfiguration()
        configuration.flushInterval = .zero
        do { try configuration.validate(); Issue.record("accepted") } catch { #expect(error.description.contains("ledger.flush_interval")) }
        for writers in [0, -1, LedgerConfiguration.maxWriters + 1] {
            configuration = LedgerConfiguration()
            configuration.writers = writers
            do {
                try configuration.validate()
                Issue.record("ledger.writers \(writers) accepted")
            } catch {
                #expect(error.description.contains("ledger.writers must be between 1 and 6 (got \(writers))"), "\(error)")
            }
        }
        configuration = LedgerConfiguration()
        configuration.writers = LedgerConfiguration.maxWriters
        #expect(throws: Never.self) { try configuration.validate() }
    }

    @Test func defaultsAreDocumentedValues() {
        let configuration = LedgerConfiguration()
        #expect(configuration.url == .default)
        #expect(configuration.maxSampleBytes == 65_536)
        #expect(configuration.flushInterval == .milliseconds(100))
        #expect(configuration.writers == 3)
        #expect(configuration.instance.contains(":"))
        #expect(RedactionConfiguration().effectiveHeaderNames == ["authorization", "proxy-authorization", "cookie", "set-cookie"])
    }
}
