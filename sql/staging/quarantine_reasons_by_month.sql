-- The months' quarantined transaction lines by month and reason.
SELECT PARTITION_MONTH, REASON, COUNT(*)
FROM {database}.STAGING.QUARANTINE
WHERE SOURCE = 'transactions' AND PARTITION_MONTH BETWEEN %(first_month)s AND %(last_month)s
GROUP BY PARTITION_MONTH, REASON
ORDER BY PARTITION_MONTH, REASON;
