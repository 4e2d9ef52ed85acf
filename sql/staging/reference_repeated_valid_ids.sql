-- How many ids appear more than once among the valid rows the views join to: each
-- would count its purchases twice (unique_valid_ids fails when this is not 0).
SELECT COUNT(*)
FROM (
    SELECT {id_column}
    FROM {database}.STAGING.{table}
    GROUP BY {id_column}
    HAVING COUNT(*) > 1
);
