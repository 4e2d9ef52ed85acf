-- The months' quarantined lines in file order, for each month's quarantine file in
-- the bucket and the examples in its check.
SELECT PARTITION_MONTH, SOURCE_FILE, LINE_NUMBER, REASON, LINE
FROM {database}.STAGING.QUARANTINE
WHERE SOURCE = 'transactions' AND PARTITION_MONTH BETWEEN %(first_month)s AND %(last_month)s
ORDER BY PARTITION_MONTH, SOURCE_FILE, LINE_NUMBER;
