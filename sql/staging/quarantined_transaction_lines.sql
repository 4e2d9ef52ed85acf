-- The partition's quarantined lines in file order, for its quarantine file in the
-- bucket and the examples in its check.
SELECT SOURCE_FILE, LINE_NUMBER, REASON, LINE
FROM {database}.STAGING.QUARANTINE
WHERE SOURCE = 'transactions' AND PARTITION_MONTH = %(month)s
ORDER BY SOURCE_FILE, LINE_NUMBER;
