-- 0004_funnel_notices: funnel bottleneck notices (docs/funnel-notices.md).
--
-- funnel-tracker judges each conversion target of each funnel in every
-- scope over a trailing window of days. When a condition changes state
-- (its conversion falls below the target with enough entities, or stops
-- doing so) the service writes one row to funnel_notices and updates the
-- condition's row in funnel_notice_conditions, in one transaction, and
-- publishes the notice on its PUB socket after the commit. A transition
-- is written only when the stored state differs, so several instances
-- evaluating the same data write (and publish) it once.
--
-- Sequences are gap-free: the writer takes a transaction-level advisory
-- lock (key "SPNOTICE", services/funnel-tracker/funnel_notice_store.h)
-- and inserts max(sequence) + 1, so a subscriber that sees a gap knows a
-- notice was lost on the way, never that a sequence was skipped.
--
-- Applied by common/sp_migrate.c inside one transaction with its
-- schema_migrations row: no BEGIN/COMMIT here.

CREATE TABLE funnel_notices (
    sequence bigint PRIMARY KEY CHECK (sequence >= 1),
    state text NOT NULL CHECK (state IN ('firing', 'cleared')),
    reason text NOT NULL CHECK (
        (state = 'firing' AND reason = 'below_target') OR
        (state = 'cleared' AND reason IN ('recovered', 'sample_below_minimum', 'target_removed'))),
    funnel text NOT NULL CHECK (funnel ~ '^[a-z0-9_-]{1,63}$'),
    funnel_version integer NOT NULL CHECK (funnel_version >= 0),
    step text NOT NULL CHECK (step ~ '^[a-z0-9_-]{1,63}$'),
    step_index integer NOT NULL CHECK (step_index >= 1),
    from_step text NOT NULL CHECK (from_step ~ '^[a-z0-9_-]{1,63}$'),
    scope text NOT NULL CHECK (scope = 'company' OR scope ~ '^(region|team|rep):.+$'),
    observed_bp integer NOT NULL CHECK (observed_bp BETWEEN 0 AND 10000),
    target_bp integer NOT NULL CHECK (target_bp BETWEEN 0 AND 10000),
    min_sample bigint NOT NULL CHECK (min_sample >= 1),
    sample bigint NOT NULL CHECK (sample >= 0),
    converted bigint NOT NULL CHECK (converted >= 0),
    first_day date NOT NULL,
    last_day date NOT NULL CHECK (last_day >= first_day),
    window_start timestamptz NOT NULL,
    window_end timestamptz NOT NULL CHECK (window_end > window_start),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX funnel_notices_condition_idx ON funnel_notices (funnel, step, scope, sequence);
COMMENT ON TABLE funnel_notices IS
    'every change of state of a funnel bottleneck condition, in sequence order; rows are never updated';
COMMENT ON COLUMN funnel_notices.sequence IS
    'position among all notices, 1, 2, 3, ... without gaps (max + 1 under an advisory lock)';
COMMENT ON COLUMN funnel_notices.state IS
    'firing: the conversion fell below the target; cleared: it no longer does';
COMMENT ON COLUMN funnel_notices.reason IS
    'below_target (firing); recovered, sample_below_minimum or target_removed (cleared)';
COMMENT ON COLUMN funnel_notices.funnel IS
    'the funnel''s name (funnel_definitions.name)';
COMMENT ON COLUMN funnel_notices.funnel_version IS
    'version of the definition evaluated, 0 for the built-in default funnel';
COMMENT ON COLUMN funnel_notices.step IS
    'name of the step whose conversion target is judged';
COMMENT ON COLUMN funnel_notices.step_index IS
    'position of that step in the funnel, from 1';
COMMENT ON COLUMN funnel_notices.from_step IS
    'name of the step conversion is measured from (the target''s "from")';
COMMENT ON COLUMN funnel_notices.scope IS
    'company, region:<id>, team:<id> or rep:<id>';
COMMENT ON COLUMN funnel_notices.observed_bp IS
    'conversion over the window in basis points (10000 = 100 %), rounded down; 0 when sample is 0';
COMMENT ON COLUMN funnel_notices.target_bp IS
    'the target conversion in basis points';
COMMENT ON COLUMN funnel_notices.min_sample IS
    'entities that must have reached from_step in the window before the target is judged';
COMMENT ON COLUMN funnel_notices.sample IS
    'entities that reached from_step on a day of the window';
COMMENT ON COLUMN funnel_notices.converted IS
    'of those, entities that reached step';
COMMENT ON COLUMN funnel_notices.first_day IS
    'first day of the window, in the service''s time zone';
COMMENT ON COLUMN funnel_notices.last_day IS
    'last day of the window: the day of the newest event applied, in the service''s time zone';
COMMENT ON COLUMN funnel_notices.window_start IS
    'first instant of first_day';
COMMENT ON COLUMN funnel_notices.window_end IS
    'first instant after last_day (exclusive)';
COMMENT ON COLUMN funnel_notices.created_at IS
    'when the notice was stored (the time of its transaction)';

CREATE TABLE funnel_notice_conditions (
    funnel text NOT NULL,
    step text NOT NULL,
    scope text NOT NULL,
    state text NOT NULL CHECK (state IN ('firing', 'cleared')),
    sequence bigint NOT NULL UNIQUE REFERENCES funnel_notices (sequence),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (funnel, step, scope)
);
CREATE INDEX funnel_notice_conditions_firing_idx ON funnel_notice_conditions (sequence)
    WHERE state = 'firing';
COMMENT ON TABLE funnel_notice_conditions IS
    'the current state of every bottleneck condition that ever fired: one row per funnel, step and scope';
COMMENT ON COLUMN funnel_notice_conditions.funnel IS
    'the funnel''s name';
COMMENT ON COLUMN funnel_notice_conditions.step IS
    'name of the step whose target is judged';
COMMENT ON COLUMN funnel_notice_conditions.scope IS
    'company, region:<id>, team:<id> or rep:<id>';
COMMENT ON COLUMN funnel_notice_conditions.state IS
    'firing or cleared, as the notice at sequence says';
COMMENT ON COLUMN funnel_notice_conditions.sequence IS
    'the notice that put the condition in its state (funnel_notices.sequence)';
COMMENT ON COLUMN funnel_notice_conditions.updated_at IS
    'when the state last changed';
