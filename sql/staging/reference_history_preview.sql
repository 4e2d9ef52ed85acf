-- Current versions, the newest first, for the history's materialisation (current ones only:
-- as many as the file has rows, however long the history).
SELECT {columns}, VALID_FROM
FROM {database}.STAGING.{history}
WHERE IS_CURRENT
ORDER BY VALID_FROM DESC, {id_column}
LIMIT 10;
