-- Whole history (an audit, not the weekly run's): all versions; those that end before they
-- start; those whose IS_CURRENT disagrees with an open VALID_TO; and those that start
-- before the previous version of their id has ended (overlapping validity).
SELECT
    COUNT(*),
    COUNT(CASE WHEN VALID_TO <= VALID_FROM THEN 1 END),
    COUNT(CASE WHEN IS_CURRENT <> (VALID_TO IS NULL) THEN 1 END),
    COUNT(CASE WHEN PREVIOUS_START IS NOT NULL AND (PREVIOUS_END IS NULL OR PREVIOUS_END > VALID_FROM) THEN 1 END)
FROM (
    SELECT
        VALID_FROM,
        VALID_TO,
        IS_CURRENT,
        LAG(VALID_FROM) OVER (PARTITION BY {id_column} ORDER BY VALID_FROM) AS PREVIOUS_START,
        LAG(VALID_TO) OVER (PARTITION BY {id_column} ORDER BY VALID_FROM) AS PREVIOUS_END
    FROM {database}.STAGING.{history}
);
