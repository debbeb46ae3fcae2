/// The Postgres schema, in schema `tapcompare`. Documented for users in `SCHEMA.md` next to this file.
///
/// `comparisons` and `discrepancies` are partitioned by day on `recorded_at` so `ledger prune` drops whole
/// partitions instead of deleting millions of rows; partitions are created ahead by ``PostgresLedgerStore``.
/// Because a partitioned table's unique keys must contain the partition key, the primary key is
/// `(recorded_at, id)`: ids are UUIDv7 and the writer keeps `recorded_at` with the record (also in the spool),
/// so a replayed comparison hits the same key and `ON CONFLICT DO NOTHING` keeps inserts idempotent.
enum PostgresSchema {
    static let schemaName = "tapcompare"

    static let bootstrap = [
        "CREATE SCHEMA IF NOT EXISTS tapcompare",
        """
        CREATE TABLE IF NOT EXISTS tapcompare.schema_migrations (
            version integer PRIMARY KEY,
            name text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """,
    ]

    static let migrations: [Migration] = [
        Migration(version: 1, name: "comparisons, discrepancies, gaps, annotations, summary views", statements: [
            """
            CREATE TABLE tapcompare.comparisons (
                id uuid NOT NULL,
                recorded_at timestamptz NOT NULL,
                instance text NOT NULL,
                request_id text NOT NULL,
                method text NOT NULL,
                route text NOT NULL,
                path text NOT NULL,
                legacy_status integer,
                candidate_status integer,
                legacy_ms double precision,
                candidate_ms double precision,
                outcome text NOT NULL
                    CHECK (outcome IN ('match', 'mismatch', 'candidate_error', 'candidate_timeout', 'skipped')),
                reason text,
                discrepancy_count integer NOT NULL DEFAULT 0,
                regression_count integer NOT NULL DEFAULT 0,
                request_sample text,
                legacy_sample text,
                candidate_sample text,
                samples_truncated boolean NOT NULL DEFAULT false,
                run_id text,
                linked_comparison_id uuid,
                PRIMARY KEY (recorded_at, id)
            ) PARTITION BY RANGE (recorded_at)
            """,
            "CREATE INDEX comparisons_route_time ON tapcompare.comparisons (route, recorded_at)",
            "CREATE INDEX comparisons_id ON tapcompare.comparisons (id)",
            "CREATE INDEX comparisons_outcome_time ON tapcompare.comparisons (outcome, recorded_at)",
            "CREATE INDEX comparisons_run ON tapcompare.comparisons (run_id, recorded_at) WHERE run_id IS NOT NULL",
            "CREATE INDEX comparisons_linked ON tapcompare.comparisons (linked_comparison_id) WHERE linked_comparison_id IS NOT NULL",
            """
            CREATE TABLE tapcompare.discrepancies (
                comparison_id uuid NOT NULL,
                ordinal integer NOT NULL,
                recorded_at timestamptz NOT NULL,
                route text NOT NULL,
                path text NOT NULL,
                field text NOT NULL,
                kind text NOT NULL,
                legacy_value jsonb,
                candidate_value jsonb,
                classification text NOT NULL DEFAULT 'regression'
                    CHECK (classification IN ('regression', 'noise', 'race')),
                PRIMARY KEY (recorded_at, comparison_id, ordinal)
            ) PARTITION BY RANGE (recorded_at)
            """,
            "CREATE INDEX discrepancies_route_field ON tapcompare.discrepancies (route, field, kind, recorded_at)",
            "CREATE INDEX discrepancies_comparison ON tapcompare.discrepancies (comparison_id)",
            """
            CREATE TABLE tapcompare.ledger_gaps (
                id uuid PRIMARY KEY,
                instance text NOT NULL,
                from_time timestamptz NOT NULL,
                to_time timestamptz NOT NULL,
                count bigint NOT NULL,
                reason text NOT NULL,
                recorded_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX ledger_gaps_time ON tapcompare.ledger_gaps (from_time)",
            """
            CREATE TABLE tapcompare.annotations (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                route text NOT NULL,
                field text NOT NULL,
                kind text,
                classification text NOT NULL CHECK (classification IN ('regression', 'noise', 'race')),
                note text,
                created_by text,
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX annotations_route_field ON tapcompare.annotations (route, field)",
            """
            CREATE VIEW tapcompare.route_summary AS
            SELECT
                route,
                count(*) FILTER (WHERE outcome IN ('match', 'mismatch')) AS compared,
                count(*) FILTER (WHERE outcome = 'mismatch') AS mismatched,
                count(*) FILTER (WHERE outcome = 'mismatch' AND regression_count > 0) AS regressed,
                CASE WHEN count(*) FILTER (WHERE outcome IN ('match', 'mismatch')) = 0 THEN 0.0
                     ELSE (count(*) FILTER (WHERE outcome = 'mismatch'))::double precision
                          / count(*) FILTER (WHERE outcome IN ('match', 'mismatch')) END AS mismatch_rate,
                CASE WHEN count(*) FILTER (WHERE outcome IN ('match', 'mismatch')) = 0 THEN 0.0
                     ELSE (count(*) FILTER (WHERE outcome = 'mismatch' AND regression_count > 0))::double precision
                          / count(*) FILTER (WHERE outcome IN ('match', 'mismatch')) END AS regression_rate,
                count(*) FILTER (WHERE outcome = 'candidate_error') AS candidate_errors,
                count(*) FILTER (WHERE outcome = 'candidate_timeout') AS candidate_timeouts,
                count(*) FILTER (WHERE outcome = 'skipped') AS skipped,
                percentile_disc(0.5) WITHIN GROUP (ORDER BY legacy_ms) AS legacy_p50_ms,
                percentile_disc(0.99) WITHIN GROUP (ORDER BY legacy_ms) AS legacy_p99_ms,
                percentile_disc(0.5) WITHIN GROUP (ORDER BY candidate_ms) AS candidate_p50_ms,
                percentile_disc(0.99) WITHIN GROUP (ORDER BY candidate_ms) AS candidate_p99_ms,
                min(recorded_at) AS first_seen,
                max(recorded_at) AS last_seen
            FROM tapcompare.comparisons
            GROUP BY route
            """,
            """
            CREATE VIEW tapcompare.field_summary AS
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
                (array_agg(comparison_id ORDER BY recorded_at DESC))[1:3] AS example_ids
            FROM tapcompare.discrepancies
            GROUP BY route, field, kind
            """,
        ]),
        Migration(version: 2, name: "hourly rollups of outcomes, latency and fields, backfilled", statements: rollupTables + rollupBackfill),
        Migration(version: 3, name: "learned-noise models published by each instance", statements: [
            """
            CREATE TABLE tapcompare.noise_models (
                instance text PRIMARY KEY,
                updated_at timestamptz NOT NULL,
                learning boolean NOT NULL,
                min_share double precision NOT NULL,
                min_samples integer NOT NULL,
                window_size integer NOT NULL
            )
            """,
            """
            CREATE TABLE tapcompare.noise_estimates (
                instance text NOT NULL REFERENCES tapcompare.noise_models (instance) ON DELETE CASCADE,
                route text NOT NULL,
                field text NOT NULL,
                noisy_in integer NOT NULL,
                samples integer NOT NULL,
                PRIMARY KEY (instance, route, field)
            )
            """,
        ]),
        Migration(version: 4, name: "store checks: the sister store a comparison read", statements: [
            "ALTER TABLE tapcompare.comparisons ADD COLUMN store text",
        ]),
        // The review's store matrix reads a window's store checks from the raw rows (rollups do not know `store`):
        // this index keeps that read proportional to the store checks, not to the window's HTTP traffic.
        Migration(version: 5, name: "store checks: index of the rows with a store", statements: [
            "CREATE INDEX comparisons_store_time ON tapcompare.comparisons (recorded_at) WHERE store IS NOT NULL",
        ]),
        // A reviewer's status per problem (issue 19): the review derives problems from the discrepancies and
        // keys them by signature; only the status a person set is stored.
        Migration(version: 6, name: "problems: the status a reviewer set per signature", statements: [
            """
            CREATE TABLE tapcompare.problem_status (
                signature text PRIMARY KEY,
                route text NOT NULL,
                kind text NOT NULL,
                field text NOT NULL,
                shape text NOT NULL,
                status text NOT NULL CHECK (status IN ('open', 'accepted', 'fixed')),
                note text,
                set_by text,
                set_at timestamptz NOT NULL
            )
            """,
        ]),
        // The candidate build that answered each comparison (issue 19): `comparison.version_header`'s value, so a
        // problem lists the versions it was seen with. Nullable: older rows and ledgers without the header have none.
        Migration(version: 7, name: "comparisons: the candidate version that answered", statements: [
            "ALTER TABLE tapcompare.comparisons ADD COLUMN candidate_version text",
        ]),
        // gRPC calls (issue 18): each side's status, message and decoded messages with their size on the wire. Rows
        // written before are HTTP (`protocol` defaults to `http`); the other columns are NULL for HTTP rows.
        Migration(version: 8, name: "comparisons: gRPC status, message and messages per side", statements: [
            "ALTER TABLE tapcompare.comparisons ADD COLUMN protocol text NOT NULL DEFAULT 'http' CHECK (protocol IN ('http', 'grpc'))",
            "ALTER TABLE tapcompare.comparisons ADD COLUMN legacy_grpc_status integer",
            "ALTER TABLE tapcompare.comparisons ADD COLUMN candidate_grpc_status integer",
            "ALTER TABLE tapcompare.comparisons ADD COLUMN legacy_grpc_message text",
            "ALTER TABLE tapcompare.comparisons ADD COLUMN candidate_grpc_message text",
            "ALTER TABLE tapcompare.comparisons ADD COLUMN legacy_grpc_messages text",
            "ALTER TABLE tapcompare.comparisons ADD COLUMN candidate_grpc_messages text",
            "ALTER TABLE tapcompare.comparisons ADD COLUMN legacy_grpc_messages_omitted integer",
            "ALTER TABLE tapcompare.comparisons ADD COLUMN candidate_grpc_messages_omitted integer",
        ]),
    ]

    /// The hour holding a `timestamptz` column, in UTC whatever the session's time zone.
    static func hour(_ column: String) -> String {
        "(date_trunc('hour', \(column) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"
    }

    /// Migration 2's tables: what ``LedgerRollups`` adds per batch (see `SCHEMA.md`). Keys start with the hour, so
    /// a window's whole hours are one primary-key range.
    static let rollupTables = [
        """
        CREATE TABLE tapcompare.rollup_outcomes (
            hour timestamptz NOT NULL,
            route text NOT NULL,
            run_id text NOT NULL,
            instance text NOT NULL,
            outcome text NOT NULL,
            legacy_status integer NOT NULL,
            candidate_status integer NOT NULL,
            reason text NOT NULL,
            comparisons bigint NOT NULL,
            regressed bigint NOT NULL,
            first_seen timestamptz NOT NULL,
            last_seen timestamptz NOT NULL,
            PRIMARY KEY (hour, route, run_id, instance, outcome, legacy_status, candidate_status, reason)
        )
        """,
        """
        CREATE TABLE tapcompare.rollup_latency (
            hour timestamptz NOT NULL,
            route text NOT NULL,
            run_id text NOT NULL,
            side text NOT NULL CHECK (side IN ('legacy', 'candidate')),
            bucket integer NOT NULL,
            count bigint NOT NULL,
            PRIMARY KEY (hour, route, run_id, side, bucket)
        )
        """,
        """
        CREATE TABLE tapcompare.rollup_fields (
            hour timestamptz NOT NULL,
            route text NOT NULL,
            run_id text NOT NULL,
            field text NOT NULL,
            kind text NOT NULL,
            classification text NOT NULL,
            occurrences bigint NOT NULL,
            comparisons bigint NOT NULL,
            leading_comparisons bigint NOT NULL,
            first_seen timestamptz NOT NULL,
            last_seen timestamptz NOT NULL,
            PRIMARY KEY (hour, route, run_id, field, kind, classification)
        )
        """,
    ]

    /// Fills the (empty) rollup tables from the raw rows: migration 2's backfill, and
    /// ``PostgresLedgerStore/rebuildRollups()``. The same figures as ``LedgerRollups`` computes per batch.
    static let rollupBackfill = [
        """
        INSERT INTO tapcompare.rollup_outcomes (hour, route, run_id, instance, outcome, legacy_status,
            candidate_status, reason, comparisons, regressed, first_seen, last_seen)
        SELECT \(hour("recorded_at")), route, coalesce(run_id, ''), instance, outcome, coalesce(legacy_status, -1),
            coalesce(candidate_status, -1),
            CASE WHEN outcome IN ('match', 'mismatch') THEN '' ELSE coalesce(reason, '') END,
            count(*), sum(CASE WHEN outcome = 'mismatch' AND regression_count > 0 THEN 1 ELSE 0 END),
            min(recorded_at), max(recorded_at)
        FROM tapcompare.comparisons
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        """,
        """
        INSERT INTO tapcompare.rollup_latency (hour, route, run_id, side, bucket, count)
        SELECT hour, route, run_id, side, bucket, count(*) FROM (
            SELECT \(hour("recorded_at")) AS hour, route, coalesce(run_id, '') AS run_id, 'legacy' AS side,
                \(LatencyBuckets.postgresExpression("legacy_ms")) AS bucket
            FROM tapcompare.comparisons WHERE outcome IN ('match', 'mismatch') AND legacy_ms IS NOT NULL
            UNION ALL
            SELECT \(hour("recorded_at")), route, coalesce(run_id, ''), 'candidate',
                \(LatencyBuckets.postgresExpression("candidate_ms"))
            FROM tapcompare.comparisons WHERE outcome IN ('match', 'mismatch') AND candidate_ms IS NOT NULL
        ) s
        GROUP BY 1, 2, 3, 4, 5
        """,
        """
        INSERT INTO tapcompare.rollup_fields (hour, route, run_id, field, kind, classification, occurrences,
            comparisons, leading_comparisons, first_seen, last_seen)
        SELECT hour, route, run_id, field, kind, classification, sum(n), count(*),
            sum(CASE WHEN class_rank = leading_rank THEN 1 ELSE 0 END), min(recorded_at), max(recorded_at)
        FROM (
            SELECT \(hour("d.recorded_at")) AS hour, d.route, coalesce(c.run_id, '') AS run_id, d.field, d.kind,
                d.classification, d.comparison_id, d.recorded_at, count(*) AS n,
                \(classRank("d.classification")) AS class_rank,
                min(\(classRank("d.classification"))) OVER (PARTITION BY d.comparison_id, d.field, d.kind) AS leading_rank
            FROM tapcompare.discrepancies d
            JOIN tapcompare.comparisons c ON c.id = d.comparison_id AND c.recorded_at = d.recorded_at
            GROUP BY d.route, c.run_id, d.field, d.kind, d.classification, d.comparison_id, d.recorded_at
        ) per_comparison
        GROUP BY 1, 2, 3, 4, 5, 6
        """,
    ]

    /// ``LedgerRollups/rank(_:)`` in SQL.
    static func classRank(_ column: String) -> String {
        "(CASE \(column) WHEN 'regression' THEN 0 WHEN 'race' THEN 1 WHEN 'noise' THEN 2 ELSE 3 END)"
    }
}
