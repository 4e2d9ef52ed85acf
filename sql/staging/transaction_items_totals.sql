-- The tables' rows over every month: basket lines, and quarantined transaction lines
-- (the UI's row counts).
SELECT
    (SELECT COUNT(*) FROM {database}.STAGING.TRANSACTION_ITEMS),
    (SELECT COUNT(*) FROM {database}.STAGING.QUARANTINE WHERE SOURCE = 'transactions');
