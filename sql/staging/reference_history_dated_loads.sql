-- The dated snapshots already loaded into a reference table's history ({source}: customers or
-- products), each with its file's digest: one row per snapshot day (a day loads once).
SELECT AS_OF, DIGEST
FROM {database}.STAGING.REFERENCE_LOADS
WHERE SOURCE = %(source)s AND DATED
ORDER BY AS_OF;
