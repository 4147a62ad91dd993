-- 0013_row_owners: the rows of the tables every consumer shares belong to
-- one service (issue 14, part 2). quarantined_events holds a row per
-- (service, partition, sequence) and outbox_streams a row per stream; 0012
-- lets every consumer's group write both, so one service's role could
-- change another's quarantine record or move another's outbox sequence.
-- Row-level security now lets a consumer's role see and write only the
-- rows whose service or stream row_owners gives to a group it belongs to.
-- The owner (migrations, salesctl load) is not subject to the policies;
-- salespulse_readonly still reads every row.

CREATE TABLE row_owners (
    name text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
    owner name NOT NULL
);
COMMENT ON TABLE row_owners IS
    'which group role owns the rows of a service (quarantined_events.service) or an outbox stream (outbox_streams.stream)';
COMMENT ON COLUMN row_owners.name IS
    'a service name (funnel-tracker) or an outbox stream (funnel-notices)';
COMMENT ON COLUMN row_owners.owner IS
    'the group role whose members may write those rows (salespulse_funnel)';

INSERT INTO row_owners (name, owner) VALUES
    ('funnel-tracker', 'salespulse_funnel'),
    ('funnel-notices', 'salespulse_funnel'),
    ('kpi-evaluator', 'salespulse_kpi'),
    ('kpi-warnings', 'salespulse_kpi'),
    ('churn-alerting', 'salespulse_churn'),
    ('churn-alerts', 'salespulse_churn'),
    ('incentive-calculator', 'salespulse_incentive'),
    ('incentive-statements', 'salespulse_incentive');

GRANT SELECT ON row_owners TO salespulse_consumer, salespulse_readonly;

-- True when the current role is a member of the group owning name's rows.
-- A name nobody owns belongs to no consumer role (only the owner writes it).
CREATE FUNCTION salespulse_owns(row_name text) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
        SELECT EXISTS (SELECT 1 FROM row_owners o
                       WHERE o.name = row_name AND pg_has_role(current_user, o.owner, 'USAGE'))
    $$;
REVOKE ALL ON FUNCTION salespulse_owns(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION salespulse_owns(text) TO salespulse_consumer;

ALTER TABLE quarantined_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY quarantined_events_own ON quarantined_events TO salespulse_consumer
    USING (salespulse_owns(service)) WITH CHECK (salespulse_owns(service));
CREATE POLICY quarantined_events_read ON quarantined_events FOR SELECT TO salespulse_readonly
    USING (true);

ALTER TABLE outbox_streams ENABLE ROW LEVEL SECURITY;
CREATE POLICY outbox_streams_own ON outbox_streams TO salespulse_consumer
    USING (salespulse_owns(stream)) WITH CHECK (salespulse_owns(stream));
CREATE POLICY outbox_streams_read ON outbox_streams FOR SELECT TO salespulse_readonly
    USING (true);
