import Foundation
import NIOConcurrencyHelpers
import NIOHTTP1
import TapCompareLedger
import TapCompareReview
import TapCompareTestSupport
import Testing

/// Three `tapcompare serve` processes writing to one PostgreSQL ledger, as a deployment with one proxy per legacy
/// pod runs them: one is SIGKILLed while the fleet is under load and restarted on its spool, and the ledger still
/// holds exactly one row per mirrored request.
///
/// Its own PostgreSQL cluster (the test stops the server), so it runs where the suite's Postgres runs.
@Suite(
    "Fleet: many instances, one ledger",
    .enabled(if: PostgresAvailability.available, "TAPCOMPARE_TEST_POSTGRES_URL is not set (scripts/test.sh sets it)"),
    .timeLimit(.minutes(TestTiming.minutes(3)))
)
struct FleetLedgerTests {
    static let names = ["fleet-a", "fleet-b", "fleet-c"]

    /// The order of events is driven, not raced, so the expected rows are exact on any machine:
    /// 1. the database is up: load through all three, written directly;
    /// 2. the database is down: load through all three, every comparison spooled;
    /// 3. `fleet-b` is sent nothing more; once its own metrics say every comparison it made is written or
    ///    spooled (the spool is fsynced per batch), it is SIGKILLed while load continues through the other two.
    ///    It is killed between its requests, not inside one: a comparison still in a process's memory at a kill is
    ///    lost by design (SCHEMA.md), and what this test checks is that nothing *else* is lost or doubled. The
    ///    other two are then waited for in the same way, so each of them has spooled what it compared in the outage;
    /// 4. the database is back, `fleet-b` restarts on the same spool and instance name: load through all three
    ///    while every spool replays.
    ///
    /// What is expected is what the candidate service received: request ids say which instance mirrored each
    /// request, so per instance the ledger's request ids must be exactly the candidate's, each once.
    @Test("three serve processes on one PostgreSQL, one SIGKILLed and restarted on its spool: one row per mirrored request")
    func oneRowPerMirroredRequest() async throws {
        let cluster = try await PostgresCluster.start()
        let counter = NIOLockedValueBox(0)
        /// `{"v":1,"t":N}`, N different in every answer of every service: `$.t` differs between legacy and the
        /// secondary as between legacy and the candidate, so it is learned as noise; nothing else differs.
        let answer: @Sendable (Int) -> UpstreamBehavior = { base in
            let n = counter.withLockedValue { $0 += 1; return $0 }
            return .respond(ScriptedResponse(body: #"{"v":1,"t":\#(base + n)}"#))
        }
        let legacy = try await ScriptedUpstream { _ in answer(0) }
        let secondary = try await ScriptedUpstream { _ in answer(1_000_000) }
        let candidate = try await ScriptedUpstream { _ in answer(2_000_000) }
        var members: [FleetMember] = []
        do {
            // Started together: three migrations race for the advisory lock on an empty ledger. Every member that
            // started is kept, even when another failed, so the clean-up below stops it.
            try await withThrowingTaskGroup(of: FleetMember.self) { group in
                for name in Self.names {
                    group.addTask {
                        try await FleetMember.start(name: name, legacy: legacy.url, candidate: candidate.url, secondary: secondary.url, ledger: cluster.urlText)
                    }
                }
                var failure: (any Error)?
                while let result = await group.nextResult() {
                    switch result {
                    case .success(let member): members.append(member)
                    case .failure(let error): failure = failure ?? error
                    }
                }
                if let failure { throw failure }
            }
            members.sort { $0.name < $1.name }
            try await self.run(members: &members, cluster: cluster, candidate: candidate)
        } catch {
            for member in members { member.remove() }
            await cluster.stop()
            throw error
        }
        for member in members { member.remove() }
        await cluster.stop()
        try await legacy.shutdown()
        try await secondary.shutdown()
        try await candidate.shutdown()
    }

    func run(members: inout [FleetMember], cluster: PostgresCluster, candidate: ScriptedUpstream) async throws {
        let (a, b, c) = (members[0], members[1], members[2])

        // 1. Database up.
        let sentUp = try await RoundRobinClient.load([a, b, c], phase: "up", count: 60)

        // 2. Database down: everything each instance compares from now on is spooled.
        try await cluster.halt()
        let sentDown = try await RoundRobinClient.load([a, b, c], phase: "down", count: 60)
        let sentToB = sentUp[b.name, default: 0] + sentDown[b.name, default: 0]

        // 3. fleet-b's comparisons all durable (written before the outage or spooled), then SIGKILL mid-load.
        try await eventually("fleet-b wrote or spooled all \(sentToB) comparisons it made", timeout: .seconds(30), poll: .milliseconds(50)) {
            try await b.ledgerCounter("written") + b.ledgerCounter("spooled") == sentToB
        }
        let spooledByB = try await b.ledgerCounter("spooled")
        #expect(spooledByB > 0, "fleet-b had comparisons in its spool when it was killed")
        async let others = RoundRobinClient.load([a, c], phase: "kill", count: 40)
        try await b.sigkill()
        let sentKill = try await others

        // The others' comparisons all durable too before the database is back: a write that waits on the pool for
        // a connection may otherwise outlast the outage and succeed, and those comparisons would then be written
        // rather than spooled (CI once saw nothing spooled by fleet-a and fleet-c).
        for member in [a, c] {
            let sent = sentUp[member.name, default: 0] + sentDown[member.name, default: 0] + sentKill[member.name, default: 0]
            try await eventually("\(member.name) wrote or spooled all \(sent) comparisons it made", timeout: .seconds(30), poll: .milliseconds(50)) {
                try await member.ledgerCounter("written") + member.ledgerCounter("spooled") == sent
            }
        }

        // 4. Database back, fleet-b restarted on its spool; load through all three while the spools replay.
        try await cluster.resume()
        let b2 = try await b.restarted()
        members[1] = b2
        try await RoundRobinClient.load([a, b2, c], phase: "back", count: 60)

        // What the candidate received, per instance that mirrored it. A mirrored call starts before the client's
        // answer is sent but may reach the candidate after it: the last ones are waited for.
        #expect(await candidate.waitUntil { $0.requests.count >= 220 }, "the candidate received all 220 mirrored requests")
        var mirrored: [String: Set<String>] = [:]
        for request in candidate.requests {
            let id = try #require(request.head.headers["X-Request-Id"].first)
            mirrored[String(id.split(separator: "/")[0]), default: []].insert(id)
        }
        #expect(mirrored.values.reduce(0) { $0 + $1.count } == 220, "every request sent was mirrored")

        let ledger = try LedgerURL(parsing: cluster.urlText)
        try await eventually("the ledger holds every mirrored request", timeout: .seconds(60), poll: .milliseconds(200)) {
            try await Self.requestIDs(ledger) == mirrored
        }
        // The restarted process replayed exactly what its predecessor had spooled, plus what it spooled itself
        // (new batches queue behind a spool being replayed, to keep the ledger in recording order); the others
        // replayed what they spooled during the outage.
        try await eventually("fleet-b replayed the \(spooledByB) comparisons spooled before the kill and what it spooled since") {
            try await b2.ledgerCounter("replayed") == spooledByB + b2.ledgerCounter("spooled")
        }
        for member in [a, c] {
            let spooled = try await member.ledgerCounter("spooled")
            #expect(spooled > 0)
            try await eventually("\(member.name) replayed its spool") { try await member.ledgerCounter("replayed") == spooled }
        }

        // Shut down gracefully (each publishes its noise model); nothing may arrive after.
        for member in [a, b2, c] { #expect(try await member.stop() == 0, "\(member.name): \(member.process.log)") }
        #expect(try await Self.requestIDs(ledger) == mirrored, "exactly the mirrored requests, none lost")
        let totals = try await Self.scalars(ledger, """
            SELECT count(*), count(DISTINCT id), count(DISTINCT request_id),
                (SELECT count(*) FROM tapcompare.discrepancies),
                (SELECT count(DISTINCT (comparison_id, ordinal)) FROM tapcompare.discrepancies)
            FROM tapcompare.comparisons
            """)
        #expect(totals == [220, 220, 220, 220, 220], "each comparison once, with its one discrepancy ($.t) once")

        try await self.checkRollups(ledger, mirrored: mirrored)
        try await self.checkReport(cluster.urlText, mirrored: mirrored)
    }

    /// The rollups, written by three processes at once (and by replays), count exactly the raw rows.
    func checkRollups(_ ledger: LedgerURL, mirrored: [String: Set<String>]) async throws {
        let perInstance = try await LedgerReaders.withReader(url: ledger, logger: ServeHarness.logger) { db in
            var counts: [String: [Int]] = [:]
            for row in try await db.query("""
                SELECT coalesce(r.instance, c.instance), coalesce(r.n, 0), coalesce(c.n, 0) FROM
                    (SELECT instance, sum(comparisons)::bigint AS n FROM tapcompare.rollup_outcomes GROUP BY instance) r
                    FULL JOIN (SELECT instance, count(*) AS n FROM tapcompare.comparisons GROUP BY instance) c
                    ON c.instance = r.instance
                """, []) {
                counts[row.string(0) ?? "?"] = [row.int(1) ?? -1, row.int(2) ?? -1]
            }
            return counts
        }
        #expect(perInstance == mirrored.mapValues { [$0.count, $0.count] }, "rollup_outcomes and rows per instance: [rollup, rows]")
        let latency = try await Self.scalars(ledger, """
            SELECT (SELECT coalesce(sum(count), 0)::bigint FROM tapcompare.rollup_latency WHERE side = 'legacy'),
                (SELECT count(*) FROM tapcompare.comparisons WHERE outcome IN ('match', 'mismatch') AND legacy_ms IS NOT NULL),
                (SELECT coalesce(sum(count), 0)::bigint FROM tapcompare.rollup_latency WHERE side = 'candidate'),
                (SELECT count(*) FROM tapcompare.comparisons WHERE outcome IN ('match', 'mismatch') AND candidate_ms IS NOT NULL)
            """)
        #expect(latency[0] == latency[1] && latency[2] == latency[3] && latency[0] == 220, "rollup_latency: \(latency)")
        let fields = try await Self.scalars(ledger, """
            SELECT (SELECT coalesce(sum(occurrences), 0)::bigint FROM tapcompare.rollup_fields),
                (SELECT coalesce(sum(leading_comparisons), 0)::bigint FROM tapcompare.rollup_fields),
                (SELECT count(*) FROM tapcompare.discrepancies)
            """)
        #expect(fields == [220, 220, 220], "rollup_fields: \(fields)")
    }

    /// `tapcompare report --format json` counts each instance's comparisons, and shows every instance's learned
    /// noise model with `$.t` classified as noise.
    func checkReport(_ ledger: String, mirrored: [String: Set<String>]) async throws {
        let json = try await runProcess([try Paths.tapcompareBinary(), "report", "--ledger", ledger, "--format", "json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let overview = try #require(report["overview"] as? [String: Any])
        let instances = try #require(overview["instances"] as? [[String: Any]])
        var counted: [String: Int] = [:]
        for entry in instances { counted[entry["instance"] as? String ?? "?"] = entry["comparisons"] as? Int }
        #expect(counted == mirrored.mapValues(\.count), "the report counts each instance's comparisons")
        #expect(overview["compared"] as? Int == 220)
        #expect(overview["missing_in_gaps"] as? Int == 0)

        let noise = try #require(report["learned_noise"] as? [String: Any])
        let models = try #require(noise["models"] as? [[String: Any]])
        #expect(Set(models.compactMap { $0["instance"] as? String }) == Set(Self.names), "every instance's model")
        #expect(models.allSatisfy { $0["learning"] as? Bool == true })
        let fields = try #require(noise["fields"] as? [[String: Any]])
        let t = fields.filter { $0["field"] as? String == "$.t" }
        #expect(t.count == 1, "one estimate per route and field, merged across instances: \(fields)")
        #expect(t.first?["classified_as_noise"] as? Bool == true)
        #expect(Self.names.contains(t.first?["instance"] as? String ?? ""))
    }

    /// Per instance, the request ids of its comparisons (a duplicate row would show in the counts, checked after).
    static func requestIDs(_ ledger: LedgerURL) async throws -> [String: Set<String>] {
        try await LedgerReaders.withReader(url: ledger, logger: ServeHarness.logger) { db in
            var ids: [String: Set<String>] = [:]
            for row in try await db.query("SELECT instance, request_id FROM tapcompare.comparisons", []) {
                ids[row.string(0) ?? "", default: []].insert(row.string(1) ?? "")
            }
            return ids
        }
    }

    /// The integer columns of a one-row query.
    static func scalars(_ ledger: LedgerURL, _ sql: String) async throws -> [Int] {
        try await LedgerReaders.withReader(url: ledger, logger: ServeHarness.logger) { db in
            let row = try await db.query(sql, []).first
            return row.map { r in r.values.indices.map { r.int($0) ?? -1 } } ?? []
        }
    }
}
