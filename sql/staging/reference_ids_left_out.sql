-- Ids of a reference file with no valid row ({checks} is CUSTOMER_CHECKS or
-- PRODUCT_CHECKS): every copy was quarantined, so the views leave out their
-- purchases, past months' included. Each with the first reason its rows broke.
SELECT TRIM({id_column}) AS ID, MIN(REASON) AS REASON
FROM {database}.STAGING.{checks}
WHERE TRIM({id_column}) <> ''
GROUP BY TRIM({id_column})
HAVING COUNT(CASE WHEN REASON IS NULL THEN 1 END) = 0
ORDER BY ID;
