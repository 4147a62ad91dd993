-- 0012_roles: one group role per service with least privilege (issue 14,
-- part 2). Services log in with their own login roles, members of these
-- groups (the local stack and the test harness make them: deploy/local/
-- lib.sh); nothing here can log in. docs/security.md lists who may do what.
--
-- Roles belong to the whole cluster, not to this database: a group that
-- already exists (made by a DBA beforehand, or by another database of the
-- same cluster) is kept, so the role running migrate needs CREATEROLE only
-- while a group is missing. Privileges are granted table by table: a later
-- migration that creates a table grants it to the groups that need it.
--
--   salespulse_ingest      activity-ingest: appends to the log (events,
--                          dead_letters, event_conflicts) and moves the
--                          partition heads; never UPDATE or DELETE a logged
--                          event, dead letter or conflict
--   salespulse_consumer    what every consumer shares: reads the log and the
--                          reference data, quarantines events, claims outbox
--                          sequences
--   salespulse_funnel, salespulse_kpi, salespulse_churn,
--   salespulse_incentive   one consumer each (members of salespulse_consumer):
--                          read and write their own tables only
--   salespulse_readonly    salesctl's read-only commands: SELECT only

DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['salespulse_ingest', 'salespulse_consumer', 'salespulse_funnel',
                                'salespulse_kpi', 'salespulse_churn', 'salespulse_incentive',
                                'salespulse_readonly'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = name) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', name);
        END IF;
    END LOOP;
END
$$;

-- Every group reads the settings (the partition count) and the migrations
-- applied; nobody but the owner writes them.
GRANT SELECT ON salespulse_settings, schema_migrations
    TO salespulse_ingest, salespulse_consumer, salespulse_readonly;

-- activity-ingest. SELECT ... FOR UPDATE on the heads needs UPDATE on a
-- column; head_sequence is the only one it may change.
GRANT SELECT, UPDATE (head_sequence) ON event_partitions TO salespulse_ingest;
GRANT SELECT, INSERT ON events TO salespulse_ingest;
GRANT INSERT ON dead_letters, event_conflicts TO salespulse_ingest;
GRANT USAGE ON SEQUENCE dead_letters_id_seq, event_conflicts_id_seq TO salespulse_ingest;

-- Every consumer.
GRANT SELECT ON event_partitions, events, reference_data TO salespulse_consumer;
GRANT SELECT, INSERT, UPDATE ON quarantined_events, outbox_streams TO salespulse_consumer;
GRANT salespulse_consumer TO salespulse_funnel, salespulse_kpi, salespulse_churn,
    salespulse_incentive;

-- Each consumer's own tables.
GRANT SELECT, INSERT, UPDATE ON funnel_notices, funnel_notice_conditions TO salespulse_funnel;
GRANT SELECT, INSERT, UPDATE ON kpi_warnings, kpi_warning_conditions, period_closes,
    kpi_snapshots, kpi_forecasts TO salespulse_kpi;
GRANT SELECT, INSERT, UPDATE ON churn_customers, churn_alerts, churn_alert_conditions
    TO salespulse_churn;
GRANT SELECT, INSERT, UPDATE ON incentive_statements TO salespulse_incentive;
-- incentive-calculator pays a period once kpi-evaluator has closed it.
GRANT SELECT ON period_closes TO salespulse_incentive;

-- salesctl's queries.
GRANT SELECT ON ALL TABLES IN SCHEMA public TO salespulse_readonly;
