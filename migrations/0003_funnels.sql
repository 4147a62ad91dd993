-- 0003_funnels: funnel definitions, versioned (docs/funnels.md, "Loading
-- and versions").
--
-- `salesctl load funnel FILE` validates a definition with funnel-tracker's
-- own code (services/funnel-tracker/funnel_definition.h) and stores its
-- canonical JSON form here as the next version of its name, only when the
-- text differs from the latest version's. Rows are never updated: a
-- version is what the funnel meant from loaded_at on, so results computed
-- with it can always be explained. funnel-tracker counts with the latest
-- version of each name.
--
-- Applied by common/sp_migrate.c inside one transaction with its
-- schema_migrations row: no BEGIN/COMMIT here.

CREATE TABLE funnel_definitions (
    name text NOT NULL CHECK (name ~ '^[a-z0-9_-]{1,63}$'),
    version integer NOT NULL CHECK (version >= 1),
    definition text NOT NULL CHECK ((definition::jsonb ->> 'name') = name),
    content_hash bytea NOT NULL
        CHECK (content_hash = sha256(convert_to(definition, 'UTF8'))),
    loaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, version)
);
COMMENT ON TABLE funnel_definitions IS
    'every version of every funnel definition, as loaded by salesctl load funnel; the highest version of a name is the one in use';
COMMENT ON COLUMN funnel_definitions.name IS
    'the funnel''s name, its "name" field: 1..63 characters of a-z, 0-9, _ and -';
COMMENT ON COLUMN funnel_definitions.version IS
    'version of the funnel, 1 for the first load, one more for each load that changed it';
COMMENT ON COLUMN funnel_definitions.definition IS
    'the definition in its canonical JSON form (funnel_definition_to_json): equal texts mean equal definitions';
COMMENT ON COLUMN funnel_definitions.content_hash IS
    'SHA-256 of definition encoded in UTF-8, to compare versions and deployments cheaply';
COMMENT ON COLUMN funnel_definitions.loaded_at IS
    'when this version was loaded (the time of its transaction)';
