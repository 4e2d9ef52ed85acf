-- A dated snapshot's rejected rows by reason ({checks} is CUSTOMER_CHECKS or PRODUCT_CHECKS),
-- read while the snapshot stands in RAW inside the history's transaction (they are left out
-- of its versions and reported; STAGING.QUARANTINE keeps the current file's).
SELECT REASON, COUNT(*)
FROM {database}.STAGING.{checks}
WHERE REASON IS NOT NULL
GROUP BY REASON
ORDER BY REASON;
