-- Quarantined rows of one reference source by reason.
SELECT REASON, COUNT(*)
FROM {database}.STAGING.QUARANTINE
WHERE SOURCE = %(source)s
GROUP BY REASON
ORDER BY REASON;
