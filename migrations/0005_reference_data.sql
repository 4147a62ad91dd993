-- 0005_reference_data: every kind of reference data in one versioned table
-- (docs/reference-data.md).
--
-- Funnel definitions, and next org charts, targets, KPI scorecards,
-- health models and commission plans, are all one kind of thing: a JSON
-- document of a kind, validated by the owning service's own code, stored
-- in its canonical form as the next version of its (kind, name) only when
-- the text differs from the latest version's. Rows are never updated: a
-- version is what the document meant from loaded_at (or effective_from)
-- on, so results computed with it can always be explained.
--
-- revision orders every load of every kind: a service's definitions are
-- described by the largest revision among the rows of its kinds, which is
-- what it stamps on the Redis state it builds (docs/consumer.md,
-- "Definitions and revisions"). A load notifies the channel
-- salespulse_reference_data with "kind name version revision" in the same
-- transaction, so running instances see it when it commits.
--
-- funnel_definitions (0003) moves here as kind 'funnel' with its versions,
-- hashes and load times, in load order, and is dropped.
--
-- Applied by common/seams/sp_migrate.c inside one transaction with its
-- schema_migrations row: no BEGIN/COMMIT here.

CREATE SEQUENCE reference_data_revision_seq AS bigint;

CREATE TABLE reference_data (
    kind text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_-]{0,31}$'),
    name text NOT NULL CHECK (name ~ '^[a-z0-9_-]{1,63}$'),
    version integer NOT NULL CHECK (version >= 1),
    revision bigint NOT NULL UNIQUE DEFAULT nextval('reference_data_revision_seq'),
    document text NOT NULL,
    content_hash bytea NOT NULL
        CHECK (content_hash = sha256(convert_to(document, 'UTF8'))),
    effective_from timestamptz,
    loaded_by text NOT NULL CHECK (length(loaded_by) BETWEEN 1 AND 128),
    loaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, name, version)
);
ALTER SEQUENCE reference_data_revision_seq OWNED BY reference_data.revision;

COMMENT ON TABLE reference_data IS
    'every version of every reference document (funnel definitions, org charts, targets, plans...), as loaded by salesctl load; the highest version of a (kind, name) is the one in use';
COMMENT ON COLUMN reference_data.kind IS
    'the kind of document, e.g. funnel; each kind is validated and used by one service';
COMMENT ON COLUMN reference_data.name IS
    'the document''s name within its kind: 1..63 characters of a-z, 0-9, _ and -';
COMMENT ON COLUMN reference_data.version IS
    'version of the (kind, name), 1 for the first load, one more for each load that changed it';
COMMENT ON COLUMN reference_data.revision IS
    'order of this load among all loads of all kinds; a service''s state is stamped with the largest revision of its kinds';
COMMENT ON COLUMN reference_data.document IS
    'the document in its kind''s canonical JSON form: equal texts mean equal documents';
COMMENT ON COLUMN reference_data.content_hash IS
    'SHA-256 of document encoded in UTF-8, to compare versions and deployments cheaply';
COMMENT ON COLUMN reference_data.effective_from IS
    'for kinds that take one, when this version starts to apply in event time; NULL: from the first event';
COMMENT ON COLUMN reference_data.loaded_by IS
    'who loaded it (salesctl load --loaded-by, by default user@host)';
COMMENT ON COLUMN reference_data.loaded_at IS
    'when this version was loaded (the time of its transaction)';

INSERT INTO reference_data (kind, name, version, document, content_hash, loaded_by, loaded_at)
SELECT 'funnel', name, version, definition, content_hash, 'migration 0005', loaded_at
FROM funnel_definitions
ORDER BY loaded_at, name, version;

DROP TABLE funnel_definitions;
