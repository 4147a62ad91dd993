-- tests/integration/crm_oracle.sql - what funnel "crm" (deploy/demo/crm-funnel.json) must
-- report for the Maven CRM data set (deploy/demo/crm/), computed in plain SQL straight from
-- the CSV files, independently of funnel-tracker's code. tests/integration/test_funnel_crm.c
-- compares every row with `salesctl funnel --funnel crm --scope SCOPE --period PERIOD --json`.
--
-- Loads nothing itself. Expects two tables filled from the CSV files as they are (COPY ...
-- WITH (FORMAT csv, HEADER true): blank cells become NULL):
--   crm_pipeline (opportunity_id text, sales_agent text, product text, account text,
--                 deal_stage text, engage_date date, close_date date, close_value bigint)
--   crm_teams (sales_agent text, manager text, regional_office text)
--
-- The rules, from the CRM mapping (deploy/demo/crm/README.md) and the funnel's meaning
-- (docs/funnels.md), all in UTC:
--   * every opportunity is a lead, on engage_date, or on 2017-12-31 (the data set's last
--     day) when it has none (Prospecting rows); that day is its cohort;
--   * an opportunity with an engage_date reached "engaging"; Won rows reached "won" and Lost
--     rows "lost", on close_date;
--   * step counts (reached) count the opportunities whose cohort falls in the period;
--     outcomes (won, lost, won amounts, sales cycle) count the Won and Lost rows whose
--     close_date falls in the period;
--   * win rate = won / (won + lost), NULL when both are 0;
--   * won amount in minor units (USD cents): close_value * 100; mean and median
--     (percentile_cont(0.5)) NULL when nothing was won;
--   * sales cycle of a Won row = close_date - engage_date (the lead's day) in ms; mean and
--     median NULL when nothing was won;
--   * time from the previous step, by cohort like the step counts: "engaging" from the lead
--     (engage_date - lead day: 0), "won" and "lost" from "engaging" (close_date -
--     engage_date), in ms; mean and median NULL when no opportunity of the cohort reached it.
-- Scopes: company, region:<regional_office>, team:<manager>, rep:<sales_agent>, for every
-- office, manager and agent that has opportunities. Periods: "all", the quarter of the
-- acceptance test (2017-Q2), the quarter before the first close (2016-Q4: leads but no
-- outcomes), the year 2017 and the month 2017-12 (the Prospecting leads' cohort).
--
-- One row per scope and period, ordered by scope then period; one statement, no parameters.
WITH periods (period, first_day, end_day) AS (
    VALUES ('all', NULL::date, NULL::date),
           ('2016-Q4', date '2016-10-01', date '2017-01-01'),
           ('2017-Q2', date '2017-04-01', date '2017-07-01'),
           ('2017', date '2017-01-01', date '2018-01-01'),
           ('2017-12', date '2017-12-01', date '2018-01-01')
),
opportunities AS (
    SELECT p.opportunity_id, p.deal_stage, p.engage_date, p.close_date,
           p.close_value * 100 AS amount_minor,
           coalesce(p.engage_date, date '2017-12-31') AS lead_date,
           (p.engage_date - coalesce(p.engage_date, date '2017-12-31'))::bigint * 86400000
               AS engaging_ms,
           (p.close_date - p.engage_date)::bigint * 86400000 AS cycle_ms,
           t.sales_agent, t.manager, t.regional_office
    FROM crm_pipeline p
    JOIN crm_teams t ON t.sales_agent = p.sales_agent
),
scoped AS (
    SELECT s.scope, o.*
    FROM opportunities o
    CROSS JOIN LATERAL (VALUES ('company'),
                               ('region:' || o.regional_office),
                               ('team:' || o.manager),
                               ('rep:' || o.sales_agent)) AS s (scope)
),
scopes AS (
    SELECT DISTINCT scope FROM scoped
),
marked AS (
    SELECT sc.scope, pe.period, o.deal_stage, o.engage_date, o.amount_minor, o.engaging_ms,
           o.cycle_ms,
           pe.first_day IS NULL OR (o.lead_date >= pe.first_day AND o.lead_date < pe.end_day)
               AS in_cohort,
           o.close_date IS NOT NULL
               AND (pe.first_day IS NULL
                    OR (o.close_date >= pe.first_day AND o.close_date < pe.end_day))
               AS closed_in_period
    FROM scopes sc
    CROSS JOIN periods pe
    LEFT JOIN scoped o ON o.scope = sc.scope
),
counted AS (
    SELECT scope, period,
           count(*) FILTER (WHERE in_cohort) AS reached_lead,
           count(*) FILTER (WHERE in_cohort AND engage_date IS NOT NULL) AS reached_engaging,
           count(*) FILTER (WHERE in_cohort AND deal_stage = 'Won') AS reached_won,
           count(*) FILTER (WHERE in_cohort AND deal_stage = 'Lost') AS reached_lost,
           count(*) FILTER (WHERE closed_in_period AND deal_stage = 'Won') AS won,
           count(*) FILTER (WHERE closed_in_period AND deal_stage = 'Lost') AS lost,
           coalesce(sum(amount_minor) FILTER (WHERE closed_in_period AND deal_stage = 'Won'), 0)
               AS won_amount_sum,
           avg(amount_minor::float8) FILTER (WHERE closed_in_period AND deal_stage = 'Won')
               AS won_amount_mean,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY amount_minor)
               FILTER (WHERE closed_in_period AND deal_stage = 'Won') AS won_amount_median,
           avg(cycle_ms::float8) FILTER (WHERE closed_in_period AND deal_stage = 'Won')
               AS cycle_mean_ms,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY cycle_ms)
               FILTER (WHERE closed_in_period AND deal_stage = 'Won') AS cycle_median_ms,
           avg(engaging_ms::float8) FILTER (WHERE in_cohort AND engage_date IS NOT NULL)
               AS engaging_mean_ms,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY engaging_ms)
               FILTER (WHERE in_cohort AND engage_date IS NOT NULL) AS engaging_median_ms,
           avg(cycle_ms::float8) FILTER (WHERE in_cohort AND deal_stage = 'Won')
               AS won_step_mean_ms,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY cycle_ms)
               FILTER (WHERE in_cohort AND deal_stage = 'Won') AS won_step_median_ms,
           avg(cycle_ms::float8) FILTER (WHERE in_cohort AND deal_stage = 'Lost')
               AS lost_step_mean_ms,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY cycle_ms)
               FILTER (WHERE in_cohort AND deal_stage = 'Lost') AS lost_step_median_ms
    FROM marked
    GROUP BY scope, period
)
SELECT scope, period, reached_lead, reached_engaging, reached_won, reached_lost, won, lost,
       won::float8 / nullif(won + lost, 0) AS win_rate,
       won_amount_sum, won_amount_mean, won_amount_median, cycle_mean_ms, cycle_median_ms,
       engaging_mean_ms, engaging_median_ms, won_step_mean_ms, won_step_median_ms,
       lost_step_mean_ms, lost_step_median_ms
FROM counted
ORDER BY scope, period;
