-- 0009_kpi_forecasts: forecasts recorded at fixed points of each period,
-- to measure forecast accuracy once the period is over
-- (docs/kpi-evaluator.md, "Forecast accuracy").
--
-- kpi-evaluator records, once per point (the local Monday of each week,
-- or the period's first day when the period starts mid-week), the
-- forecast of revenue and deals won of every scope for the month and
-- the quarter under way, with the actual at that moment. A point is
-- written once (the primary key; the writer inserts with ON CONFLICT DO
-- NOTHING), so several instances and restarts record it once. The
-- monthly report compares each point's forecast with the period's final
-- actual.
--
-- Applied by common/sp_migrate.c inside one transaction with its
-- schema_migrations row: no BEGIN/COMMIT here.

CREATE TABLE kpi_forecasts (
    period text NOT NULL CHECK (period ~ '^[0-9]{4}(-Q[1-4]|-[0-9]{2})$'),
    scope text NOT NULL CHECK (scope = 'company' OR scope ~ '^(region|team|rep):.+$'),
    kpi text NOT NULL CHECK (kpi IN ('revenue', 'deals_won')),
    recorded_on date NOT NULL,
    forecast bigint NOT NULL,
    actual bigint NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (period, scope, kpi, recorded_on)
);
