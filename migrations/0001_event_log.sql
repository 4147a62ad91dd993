-- 0001_event_log: the event log, the source of truth (DESIGN.md, "The event
-- log is the source of truth").
--
-- Events are split into P partitions by customer_id; P is fixed when the
-- database is set up (salesctl migrate --partitions) and recorded in
-- salespulse_settings. Each partition has a head row in event_partitions that
-- the ingest transaction updates together with its inserts, so sequence
-- numbers within a partition are gap-free and in commit order: "all events of
-- partition p after sequence s" is a complete read.
--
-- Applied by common/sp_migrate.c inside one transaction with its
-- schema_migrations row: no BEGIN/COMMIT here.

CREATE TABLE salespulse_settings (
    name text PRIMARY KEY,
    value text NOT NULL
);
COMMENT ON TABLE salespulse_settings IS
    'settings fixed when the database is set up, e.g. partitions';
COMMENT ON COLUMN salespulse_settings.name IS
    'setting name, e.g. partitions (number of event log partitions, 1..1024)';
COMMENT ON COLUMN salespulse_settings.value IS
    'setting value in text form';

CREATE TABLE event_partitions (
    partition integer PRIMARY KEY CHECK (partition >= 0),
    head_sequence bigint NOT NULL DEFAULT 0 CHECK (head_sequence >= 0)
);
COMMENT ON TABLE event_partitions IS
    'one head row per event log partition; updated in the same transaction as the '
    'inserts so sequences are gap-free and commit-ordered';
COMMENT ON COLUMN event_partitions.partition IS
    'partition number, 0..partitions-1';
COMMENT ON COLUMN event_partitions.head_sequence IS
    'sequence of the newest event in the partition; 0 when the partition is empty';

CREATE TABLE events (
    partition integer NOT NULL REFERENCES event_partitions (partition),
    sequence bigint NOT NULL CHECK (sequence >= 1),
    event_id text NOT NULL CHECK (event_id <> ''),
    type text NOT NULL CHECK (type <> ''),
    occurred_at bigint NOT NULL,
    ingested_at bigint NOT NULL,
    customer_id text,
    opportunity_id text,
    rep_id text,
    team_id text,
    region_id text,
    content_hash bytea NOT NULL,
    payload bytea NOT NULL,
    PRIMARY KEY (partition, sequence)
);
CREATE UNIQUE INDEX events_event_id_key ON events (event_id);
CREATE INDEX events_customer_id_idx ON events (customer_id);
CREATE INDEX events_opportunity_id_idx ON events (opportunity_id);
COMMENT ON TABLE events IS
    'every accepted sales event, keyed by (partition, sequence); the source of truth';
COMMENT ON COLUMN events.partition IS
    'partition of the event, derived from customer_id, 0..partitions-1';
COMMENT ON COLUMN events.sequence IS
    'gap-free, commit-ordered position within the partition, from 1';
COMMENT ON COLUMN events.event_id IS
    'publisher-chosen idempotency key, unique over the whole log';
COMMENT ON COLUMN events.type IS
    'event type name in its JSON spelling, e.g. stage_changed';
COMMENT ON COLUMN events.occurred_at IS
    'when the event happened at the source, UTC milliseconds since the epoch';
COMMENT ON COLUMN events.ingested_at IS
    'when activity-ingest accepted the event, UTC milliseconds since the epoch';
COMMENT ON COLUMN events.customer_id IS
    'customer the event concerns (partition key); NULL if none';
COMMENT ON COLUMN events.opportunity_id IS
    'opportunity (deal) the event concerns; NULL if none';
COMMENT ON COLUMN events.rep_id IS
    'sales rep the event is credited to; NULL if none';
COMMENT ON COLUMN events.team_id IS
    'team of the rep when the event occurred; NULL if none';
COMMENT ON COLUMN events.region_id IS
    'region of the team when the event occurred; NULL if none';
COMMENT ON COLUMN events.content_hash IS
    'digest of the packed payload; tells a true duplicate from a conflicting reuse of event_id';
COMMENT ON COLUMN events.payload IS
    'the packed SalesEvent protobuf, exactly as accepted';

CREATE TABLE dead_letters (
    id bigserial PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    source text,
    event_id text,
    field text,
    reason text NOT NULL,
    message text NOT NULL,
    raw bytea NOT NULL
);
COMMENT ON TABLE dead_letters IS
    'rejected input with its raw bytes and reason: nothing is dropped silently';
COMMENT ON COLUMN dead_letters.id IS
    'row number, in order of arrival';
COMMENT ON COLUMN dead_letters.received_at IS
    'when the input was rejected';
COMMENT ON COLUMN dead_letters.source IS
    'publisher identity or source system, when known';
COMMENT ON COLUMN dead_letters.event_id IS
    'event_id of the rejected event, when it could be read';
COMMENT ON COLUMN dead_letters.field IS
    'field that failed validation, when the reason concerns one field';
COMMENT ON COLUMN dead_letters.reason IS
    'machine-readable rejection reason, e.g. missing_field';
COMMENT ON COLUMN dead_letters.message IS
    'human-readable explanation of the rejection';
COMMENT ON COLUMN dead_letters.raw IS
    'the rejected bytes exactly as received';

CREATE TABLE event_conflicts (
    id bigserial PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    event_id text NOT NULL,
    content_hash bytea NOT NULL,
    payload bytea NOT NULL
);
COMMENT ON TABLE event_conflicts IS
    'events that reused an existing event_id with different content; the logged event is kept';
COMMENT ON COLUMN event_conflicts.id IS
    'row number, in order of arrival';
COMMENT ON COLUMN event_conflicts.received_at IS
    'when the conflicting event arrived';
COMMENT ON COLUMN event_conflicts.event_id IS
    'the reused event_id';
COMMENT ON COLUMN event_conflicts.content_hash IS
    'digest of the conflicting payload';
COMMENT ON COLUMN event_conflicts.payload IS
    'the conflicting packed SalesEvent';
