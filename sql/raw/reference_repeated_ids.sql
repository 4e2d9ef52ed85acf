-- Up to ten ids that appear more than once in the reference file ({table} is CUSTOMERS
-- or PRODUCTS), for the unique_valid_ids check's metadata.
SELECT TRIM({id_column})
FROM {database}.RAW.{table}
GROUP BY TRIM({id_column})
HAVING COUNT(*) > 1
ORDER BY 1
LIMIT 10;
