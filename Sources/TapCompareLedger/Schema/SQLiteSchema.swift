/// The SQLite schema: the same tables, columns and views as ``PostgresSchema`` (documented in `SCHEMA.md`), with
/// SQLite's types: ids are lower-case UUID text, times are UTC ISO-8601 text with milliseconds
/// (`2026-11-22T02:04:33.123Z`, the format of `strftime('%Y-%m-%dT%H:%M:%fZ')`, so text order is time order),
/// discrepancy values are JSON text. There is no partitioning: `ledger prune` deletes rows.
///
/// SQLite has no `percentile_disc`; the views compute the same nearest-rank percentiles with window functions.
enum SQLiteSchema {
    static let bootstrap = [
        """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )
        """,
    ]

    static let migrations: [Migration] = [
        Migration(version: 1, name: "comparisons, discrepancies, gaps, annotations, summary views", statements: [
            """
            CREATE TABLE comparisons (
                id TEXT NOT NULL PRIMARY KEY,
                recorded_at TEXT NOT NULL,
                instance TEXT NOT NULL,
                request_id TEXT NOT NULL,
                method TEXT NOT NULL,
                route TEXT NOT NULL,
                path TEXT NOT NULL,
                legacy_status INTEGER,
                candidate_status INTEGER,
                legacy_ms REAL,
                candidate_ms REAL,
                outcome TEXT NOT NULL
                    CHECK (outcome IN ('match', 'mismatch', 'candidate_error', 'candidate_timeout', 'skipped')),
                reason TEXT,
                discrepancy_count INTEGER NOT NULL DEFAULT 0,
                regression_count INTEGER NOT NULL DEFAULT 0,
                request_sample TEXT,
                legacy_sample TEXT,
                candidate_sample TEXT,
                samples_truncated INTEGER NOT NULL DEFAULT 0,
                run_id TEXT,
                linked_comparison_id TEXT
            )
            """,
            "CREATE INDEX comparisons_time ON comparisons (recorded_at)",
            "CREATE INDEX comparisons_route_time ON comparisons (route, recorded_at)",
            "CREATE INDEX comparisons_outcome_time ON comparisons (outcome, recorded_at)",
            "CREATE INDEX comparisons_run ON comparisons (run_id, recorded_at) WHERE run_id IS NOT NULL",
            "CREATE INDEX comparisons_linked ON comparisons (linked_comparison_id) WHERE linked_comparison_id IS NOT NULL",
            """
            CREATE TABLE discrepancies (
                comparison_id TEXT NOT NULL,
                ordinal INTEGER NOT NULL,
                recorded_at TEXT NOT NULL,
                route TEXT NOT NULL,
                path TEXT NOT NULL,
                field TEXT NOT NULL,
                kind TEXT NOT NULL,
                legacy_value TEXT,
                candidate_value TEXT,
                classification TEXT NOT NULL DEFAULT 'regression'
                    CHECK (classification IN ('regression', 'noise', 'race')),
                PRIMARY KEY (comparison_id, ordinal)
            )
            """,
            "CREATE INDEX discrepancies_route_field ON discrepancies (route, field, kind, recorded_at)",
            "CREATE INDEX discrepancies_time ON discrepancies (recorded_at)",
            """
            CREATE TABLE ledger_gaps (
                id TEXT NOT NULL PRIMARY KEY,
                instance TEXT NOT NULL,
                from_time TEXT NOT NULL,
                to_time TEXT NOT NULL,
                count INTEGER NOT NULL,
                reason TEXT NOT NULL,
                recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
            )
            """,
            "CREATE INDEX ledger_gaps_time ON ledger_gaps (from_time)",
            """
            CREATE TABLE annotations (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                route TEXT NOT NULL,
                field TEXT NOT NULL,
                kind TEXT,
                classification TEXT NOT NULL CHECK (classification IN ('regression', 'noise', 'race')),
                note TEXT,
                created_by TEXT,
                created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
            )
            """,
            "CREATE INDEX annotations_route_field ON annotations (route, field)",
            """
            CREATE VIEW route_summary AS
            WITH base AS (
                SELECT
                    route,
                    count(*) FILTER (WHERE outcome IN ('match', 'mismatch')) AS compared,
                    count(*) FILTER (WHERE outcome = 'mismatch') AS mismatched,
                    count(*) FILTER (WHERE outcome = 'mismatch' AND regression_count > 0) AS regressed,
                    count(*) FILTER (WHERE outcome = 'candidate_error') AS candidate_errors,
                    count(*) FILTER (WHERE outcome = 'candidate_timeout') AS candidate_timeouts,
                    count(*) FILTER (WHERE outcome = 'skipped') AS skipped,
                    min(recorded_at) AS first_seen,
                    max(recorded_at) AS last_seen
                FROM comparisons
                GROUP BY route
            ),
            legacy_ranked AS (
                SELECT route, legacy_ms AS ms,
                       row_number() OVER (PARTITION BY route ORDER BY legacy_ms) AS rn,
                       count(*) OVER (PARTITION BY route) AS n
                FROM comparisons WHERE legacy_ms IS NOT NULL
            ),
            legacy_p AS (
                SELECT route,
                       max(CASE WHEN rn = (n * 50 + 99) / 100 THEN ms END) AS p50,
                       max(CASE WHEN rn = (n * 99 + 99) / 100 THEN ms END) AS p99
                FROM legacy_ranked GROUP BY route
            ),
            candidate_ranked AS (
                SELECT route, candidate_ms AS ms,
                       row_number() OVER (PARTITION BY route ORDER BY candidate_ms) AS rn,
                       count(*) OVER (PARTITION BY route) AS n
                FROM comparisons WHERE candidate_ms IS NOT NULL
            ),
            candidate_p AS (
                SELECT route,
                       max(CASE WHEN rn = (n * 50 + 99) / 100 THEN ms END) AS p50,
                       max(CASE WHEN rn = (n * 99 + 99) / 100 THEN ms END) AS p99
                FROM candidate_ranked GROUP BY route
            )
            SELECT
                b.route AS route,
                b.compared AS compared,
                b.mismatched AS mismatched,
                b.regressed AS regressed,
                CASE WHEN b.compared = 0 THEN 0.0 ELSE CAST(b.mismatched AS REAL) / b.compared END AS mismatch_rate,
                CASE WHEN b.compared = 0 THEN 0.0 ELSE CAST(b.regressed AS REAL) / b.compared END AS regression_rate,
                b.candidate_errors AS candidate_errors,
                b.candidate_timeouts AS candidate_timeouts,
                b.skipped AS skipped,
                l.p50 AS legacy_p50_ms,
                l.p99 AS legacy_p99_ms,
                c.p50 AS candidate_p50_ms,
                c.p99 AS candidate_p99_ms,
                b.first_seen AS first_seen,
                b.last_seen AS last_seen
            FROM base b
            LEFT JOIN legacy_p l ON l.route = b.route
            LEFT JOIN candidate_p c ON c.route = b.route
            """,
            """
            CREATE VIEW field_summary AS
            WITH ranked AS (
                SELECT route, field, kind, classification, recorded_at, comparison_id,
                       row_number() OVER (PARTITION BY route, field, kind ORDER BY recorded_at DESC) AS rn
                FROM discrepancies
            )
            SELECT
                route,
                field,
                kind,
                count(*) AS count,
                count(*) FILTER (WHERE classification = 'regression') AS regressions,
                count(*) FILTER (WHERE classification = 'noise') AS noise,
                count(*) FILTER (WHERE classification = 'race') AS races,
                min(recorded_at) AS first_seen,
                max(recorded_at) AS last_seen,
                group_concat(CASE WHEN rn <= 3 THEN comparison_id END, ',') AS example_ids
            FROM ranked
            GROUP BY route, field, kind
            """,
        ]),
        Migration(version: 2, name: "hourly rollups of outcomes, latency and fields, backfilled", statements: rollupTables + rollupBackfill),
        Migration(version: 3, name: "learned-noise models published by each instance", statements: [
            """
            CREATE TABLE noise_models (
                instance TEXT NOT NULL PRIMARY KEY,
                updated_at TEXT NOT NULL,
                learning INTEGER NOT NULL,
                min_share REAL NOT NULL,
                min_samples INTEGER NOT NULL,
                window_size INTEGER NOT NULL
            )
            """,
            """
            CREATE TABLE noise_estimates (
                instance TEXT NOT NULL REFERENCES noise_models (instance) ON DELETE CASCADE,
                route TEXT NOT NULL,
                field TEXT NOT NULL,
                noisy_in INTEGER NOT NULL,
                samples INTEGER NOT NULL,
                PRIMARY KEY (instance, route, field)
            )
            """,
        ]),
        Migration(version: 4, name: "store checks: the sister store a comparison read", statements: [
            "ALTER TABLE comparisons ADD COLUMN store TEXT",
        ]),
        // The review's store matrix reads a window's store checks from the raw rows (rollups do not know `store`):
        // this index keeps that read proportional to the store checks, not to the window's HTTP traffic.
        Migration(version: 5, name: "store checks: index of the rows with a store", statements: [
            "CREATE INDEX comparisons_store_time ON comparisons (recorded_at) WHERE store IS NOT NULL",
        ]),
        // A reviewer's status per problem (issue 19): the review derives problems from the discrepancies and
        // keys them by signature; only the status a person set is stored.
        Migration(version: 6, name: "problems: the status a reviewer set per signature", statements: [
            """
            CREATE TABLE problem_status (
                signature TEXT PRIMARY KEY,
                route TEXT NOT NULL,
                kind TEXT NOT NULL,
                field TEXT NOT NULL,
                shape TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('open', 'accepted', 'fixed')),
                note TEXT,
                set_by TEXT,
                set_at TEXT NOT NULL
            )
            """,
        ]),
        // The candidate build that answered each comparison (issue 19): `comparison.version_header`'s value, so a
        // problem lists the versions it was seen with. Nullable: older rows and ledgers without the header have none.
        Migration(version: 7, name: "comparisons: the candidate version that answered", statements: [
            "ALTER TABLE comparisons ADD COLUMN candidate_version TEXT",
        ]),
        // gRPC calls (issue 18): each side's status, message and decoded messages with their size on the wire. Rows
        // written before are HTTP (`protocol` defaults to `http`); the other columns are NULL for HTTP rows.
        Migration(version: 8, name: "comparisons: gRPC status, message and messages per side", statements: [
            "ALTER TABLE comparisons ADD COLUMN protocol TEXT NOT NULL DEFAULT 'http' CHECK (protocol IN ('http', 'grpc'))",
            "ALTER TABLE comparisons ADD COLUMN legacy_grpc_status INTEGER",
            "ALTER TABLE comparisons ADD COLUMN candidate_grpc_status INTEGER",
            "ALTER TABLE comparisons ADD COLUMN legacy_grpc_message TEXT",
            "ALTER TABLE comparisons ADD COLUMN candidate_grpc_message TEXT",
            "ALTER TABLE comparisons ADD COLUMN legacy_grpc_messages TEXT",
            "ALTER TABLE comparisons ADD COLUMN candidate_grpc_messages TEXT",
            "ALTER TABLE comparisons ADD COLUMN legacy_grpc_messages_omitted INTEGER",
            "ALTER TABLE comparisons ADD COLUMN candidate_grpc_messages_omitted INTEGER",
        ]),
    ]

    /// The hour holding a time column, in the stored text form (`2026-11-22T02:00:00.000Z`).
    static func hour(_ column: String) -> String {
        "(substr(\(column), 1, 13) || ':00:00.000Z')"
    }

    /// Migration 2's tables, as ``PostgresSchema/rollupTables``.
    static let rollupTables = [
        """
        CREATE TABLE rollup_outcomes (
            hour TEXT NOT NULL,
            route TEXT NOT NULL,
            run_id TEXT NOT NULL,
            instance TEXT NOT NULL,
            outcome TEXT NOT NULL,
            legacy_status INTEGER NOT NULL,
            candidate_status INTEGER NOT NULL,
            reason TEXT NOT NULL,
            comparisons INTEGER NOT NULL,
            regressed INTEGER NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            PRIMARY KEY (hour, route, run_id, instance, outcome, legacy_status, candidate_status, reason)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE rollup_latency (
            hour TEXT NOT NULL,
            route TEXT NOT NULL,
            run_id TEXT NOT NULL,
            side TEXT NOT NULL CHECK (side IN ('legacy', 'candidate')),
            bucket INTEGER NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (hour, route, run_id, side, bucket)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE rollup_fields (
            hour TEXT NOT NULL,
            route TEXT NOT NULL,
            run_id TEXT NOT NULL,
            field TEXT NOT NULL,
            kind TEXT NOT NULL,
            classification TEXT NOT NULL,
            occurrences INTEGER NOT NULL,
            comparisons INTEGER NOT NULL,
            leading_comparisons INTEGER NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            PRIMARY KEY (hour, route, run_id, field, kind, classification)
        ) WITHOUT ROWID
        """,
    ]

    /// Fills the (empty) rollup tables from the raw rows, as ``PostgresSchema/rollupBackfill``. The latency
    /// bucket is the custom function ``LatencyBuckets/sqliteFunctionName`` the store installs on its connection
    /// (SQLite is built without `ln`), which calls the writer's own ``LatencyBuckets/bucket(milliseconds:)``.
    static let rollupBackfill = [
        """
        INSERT INTO rollup_outcomes (hour, route, run_id, instance, outcome, legacy_status, candidate_status, reason,
            comparisons, regressed, first_seen, last_seen)
        SELECT \(hour("recorded_at")), route, coalesce(run_id, ''), instance, outcome, coalesce(legacy_status, -1),
            coalesce(candidate_status, -1),
            CASE WHEN outcome IN ('match', 'mismatch') THEN '' ELSE coalesce(reason, '') END,
            count(*), sum(CASE WHEN outcome = 'mismatch' AND regression_count > 0 THEN 1 ELSE 0 END),
            min(recorded_at), max(recorded_at)
        FROM comparisons
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        """,
        """
        INSERT INTO rollup_latency (hour, route, run_id, side, bucket, count)
        SELECT hour, route, run_id, side, bucket, count(*) FROM (
            SELECT \(hour("recorded_at")) AS hour, route, coalesce(run_id, '') AS run_id, 'legacy' AS side,
                \(LatencyBuckets.sqliteFunctionName)(legacy_ms) AS bucket
            FROM comparisons WHERE outcome IN ('match', 'mismatch') AND legacy_ms IS NOT NULL
            UNION ALL
            SELECT \(hour("recorded_at")), route, coalesce(run_id, ''), 'candidate',
                \(LatencyBuckets.sqliteFunctionName)(candidate_ms)
            FROM comparisons WHERE outcome IN ('match', 'mismatch') AND candidate_ms IS NOT NULL
        )
        GROUP BY 1, 2, 3, 4, 5
        """,
        """
        INSERT INTO rollup_fields (hour, route, run_id, field, kind, classification, occurrences, comparisons,
            leading_comparisons, first_seen, last_seen)
        SELECT hour, route, run_id, field, kind, classification, sum(n), count(*),
            sum(CASE WHEN class_rank = leading_rank THEN 1 ELSE 0 END), min(recorded_at), max(recorded_at)
        FROM (
            SELECT \(hour("d.recorded_at")) AS hour, d.route AS route, coalesce(c.run_id, '') AS run_id,
                d.field AS field, d.kind AS kind, d.classification AS classification, d.recorded_at AS recorded_at,
                count(*) AS n, \(PostgresSchema.classRank("d.classification")) AS class_rank,
                min(\(PostgresSchema.classRank("d.classification"))) OVER (PARTITION BY d.comparison_id, d.field, d.kind) AS leading_rank
            FROM discrepancies d
            JOIN comparisons c ON c.id = d.comparison_id
            GROUP BY d.route, c.run_id, d.field, d.kind, d.classification, d.comparison_id, d.recorded_at
        )
        GROUP BY 1, 2, 3, 4, 5, 6
        """,
    ]
}
