-- tests/integration/kpi_crm_oracle.sql - what kpi-evaluator must report for the Maven CRM data
-- set (deploy/demo/crm/) under the org deploy/demo/crm/org.json, computed in plain SQL straight
-- from the CSV files, independently of kpi-evaluator's code. tests/integration/test_kpi_crm.c
-- compares every row with the KPIs revenue, deals_won and win_rate of
-- `salesctl kpi --scope SCOPE --period PERIOD --json`.
--
-- Loads nothing itself. Expects two tables filled from the CSV files as they are (COPY ...
-- WITH (FORMAT csv, HEADER true): blank cells become NULL):
--   crm_pipeline (opportunity_id text, sales_agent text, product text, account text,
--                 deal_stage text, engage_date date, close_date date, close_value bigint)
--   crm_teams (sales_agent text, manager text, regional_office text)
--
-- The rules, from the CRM mapping (deploy/demo/crm/README.md) and the KPIs' meaning, all in
-- UTC (close dates are midnight UTC):
--   * a Won row is a deal won and a Lost row a deal lost on its close_date, credited to its
--     sales_agent, the agent's manager's team and office (sales_teams.csv, as org.json
--     says: every agent in one team from 2016-01-01 on) and the company;
--   * revenue = Σ close_value of the Won rows closed in the period, in minor units (USD
--     cents: close_value * 100); deals_won = their count;
--   * win_rate = won / (won + lost) over the rows closed in the period, in basis points
--     rounded half away from zero (numeric round), NULL when won + lost = 0.
-- Scopes: company, region:<regional_office>, team:<manager>, rep:<sales_agent> for every
-- office, manager and agent of sales_teams.csv, the 5 agents without opportunities included
-- (they must show 0, 0 and NULL). Periods: the quarters of 2017, the year of every close.
--
-- One row per scope and period, ordered by scope then period; one statement, no parameters.
WITH periods (period, first_day, end_day) AS (
    VALUES ('2017-Q1', date '2017-01-01', date '2017-04-01'),
           ('2017-Q2', date '2017-04-01', date '2017-07-01'),
           ('2017-Q3', date '2017-07-01', date '2017-10-01'),
           ('2017-Q4', date '2017-10-01', date '2018-01-01')
),
scopes AS (
    SELECT 'company' AS scope
    UNION SELECT 'region:' || regional_office FROM crm_teams
    UNION SELECT 'team:' || manager FROM crm_teams
    UNION SELECT 'rep:' || sales_agent FROM crm_teams
),
closes AS (
    SELECT s.scope, p.deal_stage, p.close_date, p.close_value * 100 AS amount_minor
    FROM crm_pipeline p
    JOIN crm_teams t ON t.sales_agent = p.sales_agent
    CROSS JOIN LATERAL (VALUES ('company'),
                               ('region:' || t.regional_office),
                               ('team:' || t.manager),
                               ('rep:' || t.sales_agent)) AS s (scope)
    WHERE p.deal_stage IN ('Won', 'Lost')
),
counted AS (
    SELECT sc.scope, pe.period,
           count(c.scope) FILTER (WHERE c.deal_stage = 'Won') AS won,
           count(c.scope) FILTER (WHERE c.deal_stage = 'Lost') AS lost,
           coalesce(sum(c.amount_minor) FILTER (WHERE c.deal_stage = 'Won'), 0) AS revenue_minor
    FROM scopes sc
    CROSS JOIN periods pe
    LEFT JOIN closes c
        ON c.scope = sc.scope AND c.close_date >= pe.first_day AND c.close_date < pe.end_day
    GROUP BY sc.scope, pe.period
)
SELECT scope, period, won, lost, revenue_minor,
       round(won * 10000.0 / nullif(won + lost, 0))::bigint AS win_rate_bp
FROM counted
ORDER BY scope, period;
