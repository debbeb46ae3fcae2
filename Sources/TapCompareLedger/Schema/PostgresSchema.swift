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
        Migration(version: 2, name: "learned-noise models published by each instance", statements: [
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
    ]
}
