-- 0010_churn_alerts: churn alerts and the scoring state behind them
-- (docs/churn-alerting.md "Scoring" and "Alerts", docs/churn-alerts.md).
--
-- churn-alerting scores every customer once per period. For each
-- customer it keeps, here, the last period scored and the packed score
-- history the rules judge (churn_customers), and per customer and rule
-- the packed lifecycle state of the alert (churn_alert_conditions). One
-- transaction per customer moves its row (compare-and-set on revision),
-- claims a sequence of the outbox stream "churn-alerts" (outbox_streams,
-- 0006) for each alert the periods decided, inserts the alerts and
-- stores every lifecycle state: a restart or another instance continues
-- exactly where the last commit left, and each alert is written, and so
-- published, once.
--
-- Applied by common/sp_migrate.c inside one transaction with its
-- schema_migrations row: no BEGIN/COMMIT here.

CREATE TABLE churn_customers (
    customer_id text PRIMARY KEY CHECK (octet_length(customer_id) BETWEEN 1 AND 128),
    partition integer NOT NULL CHECK (partition >= 0),
    last_day date NOT NULL,
    history bytea NOT NULL,
    revision bigint NOT NULL DEFAULT 1 CHECK (revision >= 1),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX churn_customers_partition_idx ON churn_customers (partition);
COMMENT ON TABLE churn_customers IS
    'the scoring state of every customer scored: one row per customer';
COMMENT ON COLUMN churn_customers.partition IS
    'the customer''s partition (sp_partition_of over the id): the scorer reads one partition at a time';
COMMENT ON COLUMN churn_customers.last_day IS
    'the last period scored (its local day)';
COMMENT ON COLUMN churn_customers.history IS
    'the scores of the last periods, churn_history_pack''s binary form (kind S, version 1)';
COMMENT ON COLUMN churn_customers.revision IS
    'raised by every change (a scoring, an acknowledgement): the scorer writes only over the revision it read';

CREATE TABLE churn_alerts (
    alert_seq bigint PRIMARY KEY CHECK (alert_seq >= 1),
    customer_id text NOT NULL,
    rule text NOT NULL CHECK (rule IN ('red_entry', 'consecutive_drops', 'single_drop', 'overdue')),
    severity text NOT NULL CHECK (severity IN ('critical', 'warning')),
    state text NOT NULL CHECK (state IN ('firing', 'resolved')),
    action text NOT NULL CHECK (
        (state = 'firing' AND action IN ('fire', 'repeat')) OR
        (state = 'resolved' AND action = 'resolve')),
    score integer CHECK (score BETWEEN 0 AND 100),
    band text CHECK (band IN ('red', 'yellow', 'green')),
    previous_scores integer[] NOT NULL,
    factors jsonb NOT NULL,
    days_since_order bigint,
    typical_interval_days bigint,
    fired_day date NOT NULL,
    owner_rep text NOT NULL DEFAULT '',
    owner_team text NOT NULL DEFAULT '',
    owner_region text NOT NULL DEFAULT '',
    occurred_at date NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((score IS NULL) = (band IS NULL)),
    CHECK ((days_since_order IS NULL) = (typical_interval_days IS NULL))
);
CREATE INDEX churn_alerts_customer_idx ON churn_alerts (customer_id, alert_seq);
COMMENT ON TABLE churn_alerts IS
    'every churn alert sent (fire, repeat, resolve), in sequence order; rows are never updated';
COMMENT ON COLUMN churn_alerts.alert_seq IS
    'position among all churn alerts, 1, 2, 3, ... without gaps (claimed from the churn-alerts head in outbox_streams)';
COMMENT ON COLUMN churn_alerts.previous_scores IS
    'the scores of the periods before occurred_at, oldest first (-1: not scored)';
COMMENT ON COLUMN churn_alerts.factors IS
    'the measures with data, what pulls the score down most first: [{"measure", "value", "score", "weight_bp"}]';
COMMENT ON COLUMN churn_alerts.owner_rep IS
    'the customer''s owner rep, team and region: empty while churn-alerting does not know them';
COMMENT ON COLUMN churn_alerts.occurred_at IS
    'the period decided (a local day; event time with --clock event)';
COMMENT ON COLUMN churn_alerts.created_at IS
    'when the alert was stored (the time of its transaction)';

CREATE TABLE churn_alert_conditions (
    customer_id text NOT NULL,
    rule text NOT NULL CHECK (rule IN ('red_entry', 'consecutive_drops', 'single_drop', 'overdue')),
    state text NOT NULL DEFAULT 'none' CHECK (state IN ('none', 'firing', 'resolved')),
    sequence bigint UNIQUE REFERENCES churn_alerts (alert_seq),
    lifecycle bytea NOT NULL DEFAULT '\x',
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, rule),
    CHECK ((state = 'none') = (sequence IS NULL))
);
CREATE INDEX churn_alert_conditions_firing_idx ON churn_alert_conditions (sequence)
    WHERE state = 'firing';
COMMENT ON TABLE churn_alert_conditions IS
    'every alert identity (customer, rule) scored: its state and its lifecycle';
COMMENT ON COLUMN churn_alert_conditions.state IS
    'none (never sent), firing or resolved, as the alert at sequence says';
COMMENT ON COLUMN churn_alert_conditions.sequence IS
    'the latest alert of the identity (churn_alerts.alert_seq)';
COMMENT ON COLUMN churn_alert_conditions.lifecycle IS
    'churn_lifecycle_pack''s binary form (kind L, version 1): counters, days, acknowledgement';

INSERT INTO outbox_streams (stream, head) VALUES ('churn-alerts', 0)
    ON CONFLICT (stream) DO NOTHING;
