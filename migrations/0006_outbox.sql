-- 0006_outbox: the head of every outbox stream (docs/consumer.md, "The outbox").
--
-- Funnel bottleneck notices, KPI pace warnings and churn alerts are
-- written to PostgreSQL with a gap-free sequence per stream in the
-- transaction that decides them, then published. Each stream owner keeps
-- its messages in its own typed table (funnel_notices for
-- "funnel-notices"); this table holds only each stream's head, the
-- newest sequence claimed. common/consumer/sp_outbox.c claims the next
-- sequence with an upsert that raises the head by one: the row stays
-- locked until the transaction ends, so the writers of one stream are
-- serialised, and a rollback gives the number back (no gap, which a
-- subscriber could not tell from a lost message).
--
-- funnel-notices continues where the advisory-lock scheme of 0004 left
-- it: its head starts at the newest notice stored.
--
-- Applied by common/sp_migrate.c inside one transaction with its
-- schema_migrations row: no BEGIN/COMMIT here.

CREATE TABLE outbox_streams (
    stream text PRIMARY KEY CHECK (stream ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
    head bigint NOT NULL CHECK (head >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE outbox_streams IS
    'one row per outbox stream: the newest sequence claimed, raised by one per message in the writing transaction';
COMMENT ON COLUMN outbox_streams.stream IS
    'the stream''s name, e.g. funnel-notices';
COMMENT ON COLUMN outbox_streams.head IS
    'newest sequence of the stream, 1, 2, 3, ... without gaps; 0 before the first message';
COMMENT ON COLUMN outbox_streams.updated_at IS
    'when the last message was claimed';

INSERT INTO outbox_streams (stream, head)
SELECT 'funnel-notices', coalesce(max(sequence), 0) FROM funnel_notices;
