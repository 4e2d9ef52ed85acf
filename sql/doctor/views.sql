-- The views in the pipeline's schemas and the role that owns each: the pipeline replaces
-- MART's views, which it can only do to views it owns.
SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_OWNER
FROM {database}.INFORMATION_SCHEMA.VIEWS
WHERE TABLE_SCHEMA IN ('RAW', 'STAGING', 'MART')
ORDER BY TABLE_SCHEMA, TABLE_NAME;
