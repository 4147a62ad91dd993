-- tests/integration/incentive_crm_oracle.sql - what incentive-calculator must pay every agent
-- of the Maven CRM data set (deploy/demo/crm/) under the demo plan deploy/demo/crm-plan.json,
-- computed in plain SQL straight from the CSV files, independently of incentive-calculator's
-- code. tests/integration/test_incentive_crm.c compares every row with
-- `salesctl statement --rep AGENT --period QUARTER --json`.
--
-- Loads nothing itself. Expects two tables filled from the CSV files as they are (COPY ...
-- WITH (FORMAT csv, HEADER true): blank cells become NULL):
--   crm_pipeline (opportunity_id text, sales_agent text, product text, account text,
--                 deal_stage text, engage_date date, close_date date, close_value bigint)
--   crm_teams (sales_agent text, manager text, regional_office text)
--
-- The rules, from the CRM mapping (deploy/demo/crm/README.md) and the plan format
-- (docs/incentives.md), all in UTC (close dates are midnight UTC), money in USD cents:
--   * a Won row is a deal won by its sales_agent (credited 100 %) on its close_date, event
--     id 'crm:' || opportunity_id || ':won', amount close_value * 100;
--   * plan crm-demo, the copy written here (change both together): per calendar quarter,
--     component "revenue" pays a marginal table on the quarter's cumulative revenue
--     F(x) = 2.5 % of [0, 50,000) + 5 % of [50,000, 100,000) + 7.5 % of [100,000, ...);
--     SPIFF "year-end" pays S(x) = min(500.00, 1 % of x) on the cumulative revenue won in
--     [2017-12-01, 2018-01-01);
--   * deals are taken in (close_date, event id) order, the id compared byte by byte
--     (COLLATE "C"), within the quarter (the SPIFF: within its window); a deal moving the
--     cumulative base from b to a earns F(a) - F(b) (S(a) - S(b)), exact in numeric, rounded
--     once half away from zero (numeric round() does that) to a cent;
--   * an agent's net payout for a quarter is the sum of the rounded lines (no draws, no
--     cancellations in the data set).
-- Agents: every one of sales_teams.csv, the 5 without opportunities included (their
-- statements are empty: net payout 0). Quarters: from the first close's to the last's.
--
-- One row per agent and quarter, ordered by agent then quarter: rep_id, period ("2017-Q2"),
-- revenue_minor (the quarter's won amount), net_payout_minor, spiff_minor (the SPIFF's part),
-- half_cent_lines (lines whose exact value ends in half a cent: the rounding rule at work)
-- and lines, a JSON array of {event_id, rule_id, amount} in the order the deals are taken,
-- the revenue line of a deal before its SPIFF line. One statement, no parameters.
WITH won AS (
    SELECT p.sales_agent AS rep_id,
           'crm:' || p.opportunity_id || ':won' AS event_id,
           p.close_date,
           p.close_value::numeric * 100 AS amount_minor
    FROM crm_pipeline p
    WHERE p.deal_stage = 'Won'
),
periods AS (
    SELECT q.first_day::date AS first_day,
           (q.first_day + interval '3 months')::date AS end_day,
           to_char(q.first_day, 'YYYY') || '-Q' || to_char(q.first_day, 'Q') AS period
    FROM (SELECT generate_series(date_trunc('quarter', min(close_date)),
                                 date_trunc('quarter', max(close_date)),
                                 interval '3 months') AS first_day
          FROM won) q
),
-- The revenue component's bands, bounds in cents: [lo, hi), hi NULL for the open one.
bands (lo, hi, rate) AS (
    VALUES (0::numeric, 5000000::numeric, 0.025::numeric),
           (5000000, 10000000, 0.05),
           (10000000, NULL, 0.075)
),
-- The SPIFF's window [from, to), rate and cap (cents).
spiff (first_day, end_day, rate, cap) AS (
    VALUES (date '2017-12-01', date '2018-01-01', 0.01::numeric, 50000::numeric)
),
taken AS (
    SELECT w.rep_id, w.event_id, w.close_date, w.amount_minor, pe.period,
           sum(w.amount_minor) OVER (PARTITION BY w.rep_id, pe.period
                                     ORDER BY w.close_date, w.event_id COLLATE "C"
                                     ROWS UNBOUNDED PRECEDING) AS after_minor,
           row_number() OVER (PARTITION BY w.rep_id, pe.period
                              ORDER BY w.close_date, w.event_id COLLATE "C") AS position
    FROM won w
    JOIN periods pe ON w.close_date >= pe.first_day AND w.close_date < pe.end_day
),
in_window AS (
    SELECT w.rep_id, w.event_id,
           sum(w.amount_minor) OVER (PARTITION BY w.rep_id
                                     ORDER BY w.close_date, w.event_id COLLATE "C"
                                     ROWS UNBOUNDED PRECEDING) AS after_minor
    FROM won w, spiff s
    WHERE w.close_date >= s.first_day AND w.close_date < s.end_day
),
-- Exact earnings: F(after) - F(before), S(after) - S(before).
exact AS (
    SELECT t.rep_id, t.period, t.event_id, t.position, 0 AS rule_order, 'revenue' AS rule_id,
           (SELECT sum(b.rate * ((greatest(least(t.after_minor, coalesce(b.hi, t.after_minor)), b.lo) - b.lo)
                               - (greatest(least(t.after_minor - t.amount_minor,
                                                 coalesce(b.hi, t.after_minor)), b.lo) - b.lo)))
            FROM bands b) AS value
    FROM taken t
    UNION ALL
    SELECT t.rep_id, t.period, t.event_id, t.position, 1, 'year-end',
           least(s.cap, s.rate * i.after_minor) - least(s.cap, s.rate * (i.after_minor - t.amount_minor))
    FROM taken t
    JOIN in_window i ON i.rep_id = t.rep_id AND i.event_id = t.event_id
    CROSS JOIN spiff s
),
lines AS (
    SELECT e.*, round(e.value) AS amount_minor
    FROM exact e
),
statements AS (
    SELECT tm.sales_agent AS rep_id, pe.period,
           coalesce((SELECT sum(t.amount_minor) FROM taken t
                     WHERE t.rep_id = tm.sales_agent AND t.period = pe.period), 0) AS revenue_minor,
           coalesce(sum(l.amount_minor), 0) AS net_payout_minor,
           coalesce(sum(l.amount_minor) FILTER (WHERE l.rule_id = 'year-end'), 0) AS spiff_minor,
           count(l.rep_id) FILTER (WHERE l.value - trunc(l.value) IN (0.5, -0.5)) AS half_cent_lines,
           coalesce(jsonb_agg(jsonb_build_object('event_id', l.event_id, 'rule_id', l.rule_id,
                                                 'amount', l.amount_minor)
                              ORDER BY l.position, l.rule_order)
                        FILTER (WHERE l.rep_id IS NOT NULL), '[]'::jsonb) AS lines
    FROM crm_teams tm
    CROSS JOIN periods pe
    LEFT JOIN lines l ON l.rep_id = tm.sales_agent AND l.period = pe.period
    GROUP BY tm.sales_agent, pe.period
)
SELECT rep_id, period, revenue_minor::bigint, net_payout_minor::bigint, spiff_minor::bigint,
       half_cent_lines, lines::text AS lines
FROM statements
ORDER BY rep_id COLLATE "C", period;
