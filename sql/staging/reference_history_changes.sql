-- What the load left: versions opened and closed as of it, current versions, and the file's
-- valid rows. Reads current versions and those this load closed only.
SELECT
    COUNT(CASE WHEN VALID_FROM = %(as_of)s::TIMESTAMP_NTZ THEN 1 END),
    COUNT(CASE WHEN VALID_TO = %(as_of)s::TIMESTAMP_NTZ THEN 1 END),
    COUNT(CASE WHEN IS_CURRENT THEN 1 END),
    (SELECT COUNT(*) FROM {database}.STAGING.{table})
FROM {database}.STAGING.{history}
WHERE IS_CURRENT OR VALID_TO = %(as_of)s::TIMESTAMP_NTZ;
