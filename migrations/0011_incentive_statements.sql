-- 0011_incentive_statements: commission statements locked when a period
-- closes (docs/incentive-calculator.md, "Closing a period").
--
-- `salesctl close-period --period P` stores, in the transaction that
-- records the close in period_closes, the statement of every rep
-- incentive-calculator credited, computed from the credits applied so
-- far and the plans in force. Each stored statement claims the next
-- sequence of the outbox stream "incentive-statements" (outbox_streams,
-- 0006), so payroll systems follow them in order, without gaps, with
-- topic incentive.statement.<rep>. A stored statement never changes (no
-- UPDATE or DELETE path exists in the code, and the primary key refuses
-- a second close): events, cancellations and plan corrections that come
-- later show as adjustment lines in the open period. The document is
-- kept as text, byte for byte as it was computed, so the closed
-- statement reads back identical.
--
-- Applied by common/sp_migrate.c inside one transaction with its
-- schema_migrations row: no BEGIN/COMMIT here.

CREATE TABLE incentive_statements (
    period text NOT NULL REFERENCES period_closes (period),
    rep_id text NOT NULL CHECK (length(rep_id) BETWEEN 1 AND 64),
    statement_seq bigint NOT NULL UNIQUE CHECK (statement_seq >= 1),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    net_payout bigint NOT NULL,
    document text NOT NULL,
    PRIMARY KEY (period, rep_id)
);

COMMENT ON TABLE incentive_statements IS
    'one row per rep and closed period: the statement as it stood at the close, never changed';
COMMENT ON COLUMN incentive_statements.statement_seq IS
    'position in the incentive-statements outbox stream, 1, 2, 3, ... without gaps';
COMMENT ON COLUMN incentive_statements.net_payout IS
    'the statement''s net payout in minor units of currency';
COMMENT ON COLUMN incentive_statements.document IS
    'the statement as `salesctl statement --json` printed it, byte for byte';

INSERT INTO outbox_streams (stream, head) VALUES ('incentive-statements', 0)
ON CONFLICT (stream) DO NOTHING;
