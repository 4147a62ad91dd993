-- 0002_consumer: events a downstream service gave up on (the consumer
-- framework's poison-event quarantine, common/sp_consumer.h).
--
-- A handler error on one event is retried a bounded number of times; then
-- the event is recorded here with the error and the partition moves on.
-- The event itself stays in the log; this row says which service skipped
-- it and why. `salesctl quarantine` lists these rows.
--
-- Applied by common/sp_migrate.c inside one transaction with its
-- schema_migrations row: no BEGIN/COMMIT here.

CREATE TABLE quarantined_events (
    service text NOT NULL CHECK (service <> ''),
    partition integer NOT NULL CHECK (partition >= 0),
    sequence bigint NOT NULL CHECK (sequence >= 1),
    event_id text NOT NULL,
    type text NOT NULL,
    attempts integer NOT NULL CHECK (attempts >= 1),
    error text NOT NULL,
    first_quarantined_at timestamptz NOT NULL DEFAULT now(),
    quarantined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service, partition, sequence)
);
CREATE INDEX quarantined_events_time_idx ON quarantined_events (quarantined_at DESC);
COMMENT ON TABLE quarantined_events IS
    'events a downstream service could not apply after its retries, skipped with the error';
COMMENT ON COLUMN quarantined_events.service IS
    'service whose handler failed, e.g. funnel-tracker';
COMMENT ON COLUMN quarantined_events.partition IS
    'partition of the event in the log';
COMMENT ON COLUMN quarantined_events.sequence IS
    'sequence of the event in its partition (events.partition, events.sequence)';
COMMENT ON COLUMN quarantined_events.event_id IS
    'event_id of the event';
COMMENT ON COLUMN quarantined_events.type IS
    'event type in its JSON spelling';
COMMENT ON COLUMN quarantined_events.attempts IS
    'handler attempts that failed, over every time the event was quarantined';
COMMENT ON COLUMN quarantined_events.error IS
    'the handler''s last error';
COMMENT ON COLUMN quarantined_events.first_quarantined_at IS
    'when the service first gave up on the event';
COMMENT ON COLUMN quarantined_events.quarantined_at IS
    'when the service last gave up on the event (again after a rebuild)';
