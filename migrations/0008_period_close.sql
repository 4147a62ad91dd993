-- 0008_period_close: closed periods and what was snapshotted when they
-- closed (docs/kpi-evaluator.md, "Closing a period").
--
-- `salesctl close-period --period P` closes a period for every service
-- that keeps period records, in one transaction: one row in
-- period_closes, and kpi-evaluator's snapshot of every scope's KPIs in
-- kpi_snapshots. A snapshot never changes afterwards (no UPDATE or
-- DELETE path exists in the code, and the primary keys refuse a second
-- close); events of the period that arrive later show, next to it, as
-- the difference between the live figure and the snapshot.
--
-- Applied by common/sp_migrate.c inside one transaction with its
-- schema_migrations row: no BEGIN/COMMIT here.

CREATE TABLE period_closes (
    period text PRIMARY KEY CHECK (period ~ '^[0-9]{4}(-Q[1-4]|-[0-9]{2}|-W[0-9]{2})?$'),
    period_start timestamptz NOT NULL,
    period_end timestamptz NOT NULL CHECK (period_end > period_start),
    closed_at timestamptz NOT NULL DEFAULT now(),
    closed_by text NOT NULL CHECK (length(closed_by) BETWEEN 1 AND 128)
);

CREATE TABLE kpi_snapshots (
    period text NOT NULL REFERENCES period_closes (period),
    scope text NOT NULL CHECK (scope = 'company' OR scope ~ '^(region|team|rep):.+$'),
    document jsonb NOT NULL,
    PRIMARY KEY (period, scope)
);
