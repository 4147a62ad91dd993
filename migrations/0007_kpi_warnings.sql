-- 0007_kpi_warnings: KPI pace warnings (docs/kpi-warnings.md).
--
-- kpi-evaluator judges the pace of every KPI with a target of every node
-- (company, region, team, rep) in the current month and quarter. When a
-- condition (node, kpi, period) changes state (its status enters the
-- band, at_risk by default, or leaves it) the service claims the next
-- sequence of the outbox stream "kpi-warnings" (outbox_streams, 0006),
-- writes one row to kpi_warnings and updates the condition's row in
-- kpi_warning_conditions, in one transaction, and publishes the warning
-- on its PUB socket after the commit. A transition is written only when
-- the stored state differs, so several instances judging the same data
-- write (and publish) it once.
--
-- Applied by common/sp_migrate.c inside one transaction with its
-- schema_migrations row: no BEGIN/COMMIT here.

CREATE TABLE kpi_warnings (
    sequence bigint PRIMARY KEY CHECK (sequence >= 1),
    state text NOT NULL CHECK (state IN ('firing', 'cleared')),
    reason text NOT NULL CHECK (
        (state = 'firing' AND reason = 'off_pace') OR
        (state = 'cleared' AND reason IN ('recovered', 'not_judged', 'period_ended'))),
    node text NOT NULL CHECK (node = 'company' OR node ~ '^(region|team|rep):.+$'),
    kpi text NOT NULL CHECK (kpi ~ '^[a-z0-9_]{1,31}$'),
    period text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])$'),
    status text NOT NULL CHECK (status IN ('none', 'exceeded', 'on_track', 'behind', 'at_risk')),
    fired_status text NOT NULL CHECK (fired_status IN ('behind', 'at_risk')),
    unit text NOT NULL CHECK (unit IN ('money', 'count', 'ratio', 'average', 'per_day', 'score')),
    currency text NOT NULL CHECK (currency = '' OR currency ~ '^[A-Z]{3}$'),
    actual bigint NOT NULL,
    target bigint NOT NULL,
    floor bigint,
    projection bigint NOT NULL,
    days_elapsed integer NOT NULL CHECK (days_elapsed >= 0),
    days_total integer NOT NULL CHECK (days_total >= 1 AND days_elapsed <= days_total),
    as_of_day date NOT NULL,
    judged_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (state = 'cleared' OR status = fired_status)
);
CREATE INDEX kpi_warnings_condition_idx ON kpi_warnings (node, kpi, period, sequence);
COMMENT ON TABLE kpi_warnings IS
    'every change of state of a KPI pace condition, in sequence order; rows are never updated';
COMMENT ON COLUMN kpi_warnings.sequence IS
    'position among all warnings, 1, 2, 3, ... without gaps (claimed from the kpi-warnings head in outbox_streams)';
COMMENT ON COLUMN kpi_warnings.state IS
    'firing: the KPI paces in the band; cleared: it no longer does';
COMMENT ON COLUMN kpi_warnings.reason IS
    'off_pace (firing); recovered, not_judged or period_ended (cleared)';
COMMENT ON COLUMN kpi_warnings.node IS
    'company, region:<id>, team:<id> or rep:<id>';
COMMENT ON COLUMN kpi_warnings.kpi IS
    'the KPI''s catalogue name (docs/kpis.md)';
COMMENT ON COLUMN kpi_warnings.period IS
    'the month (YYYY-MM) or quarter (YYYY-Qn) judged, in kpi-evaluator''s time zone';
COMMENT ON COLUMN kpi_warnings.status IS
    'pace status at the transition (none: not judged, or the period ended)';
COMMENT ON COLUMN kpi_warnings.fired_status IS
    'the status the warning fired with; names the topic of both the firing and the cleared warning';
COMMENT ON COLUMN kpi_warnings.unit IS
    'unit of actual, target, floor and projection: money (minor units), count, ratio (basis points), average, per_day, score (hundredths)';
COMMENT ON COLUMN kpi_warnings.currency IS
    'ISO-4217 reporting currency of money values; empty for other units';
COMMENT ON COLUMN kpi_warnings.actual IS
    'value so far, through as_of_day';
COMMENT ON COLUMN kpi_warnings.target IS
    'target in force: as loaded plus any shortfall carried in';
COMMENT ON COLUMN kpi_warnings.floor IS
    'the target''s floor; NULL when it has none';
COMMENT ON COLUMN kpi_warnings.projection IS
    'value projected at the period''s end';
COMMENT ON COLUMN kpi_warnings.days_elapsed IS
    'calendar days of the period elapsed, as_of_day included';
COMMENT ON COLUMN kpi_warnings.days_total IS
    'calendar days of the period';
COMMENT ON COLUMN kpi_warnings.as_of_day IS
    'the local day judged';
COMMENT ON COLUMN kpi_warnings.judged_at IS
    'the instant judged: the wall clock, or kpi-evaluator''s --warnings-as-of';
COMMENT ON COLUMN kpi_warnings.created_at IS
    'when the warning was stored (the time of its transaction)';

CREATE TABLE kpi_warning_conditions (
    node text NOT NULL,
    kpi text NOT NULL,
    period text NOT NULL,
    state text NOT NULL CHECK (state IN ('firing', 'cleared')),
    sequence bigint NOT NULL UNIQUE REFERENCES kpi_warnings (sequence),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (node, kpi, period)
);
CREATE INDEX kpi_warning_conditions_firing_idx ON kpi_warning_conditions (sequence)
    WHERE state = 'firing';
COMMENT ON TABLE kpi_warning_conditions IS
    'the current state of every pace condition that ever fired: one row per node, KPI and period';
COMMENT ON COLUMN kpi_warning_conditions.node IS
    'company, region:<id>, team:<id> or rep:<id>';
COMMENT ON COLUMN kpi_warning_conditions.kpi IS
    'the KPI''s catalogue name';
COMMENT ON COLUMN kpi_warning_conditions.period IS
    'the month or quarter';
COMMENT ON COLUMN kpi_warning_conditions.state IS
    'firing or cleared, as the warning at sequence says';
COMMENT ON COLUMN kpi_warning_conditions.sequence IS
    'the warning that put the condition in its state (kpi_warnings.sequence)';
COMMENT ON COLUMN kpi_warning_conditions.updated_at IS
    'when the state last changed';

INSERT INTO outbox_streams (stream, head) VALUES ('kpi-warnings', 0)
    ON CONFLICT (stream) DO NOTHING;
