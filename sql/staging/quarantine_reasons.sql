-- Quarantined lines by reason, for one source (and month, for transactions).
SELECT REASON, COUNT(*)
FROM {database}.STAGING.QUARANTINE
WHERE SOURCE = %(source)s AND (PARTITION_MONTH = %(month)s OR %(month)s IS NULL)
GROUP BY REASON
ORDER BY REASON;
