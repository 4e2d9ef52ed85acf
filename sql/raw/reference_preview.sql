-- The first rows of a reference table, as loaded, for its materialisation's preview.
SELECT {columns}
FROM {database}.RAW.{table}
ORDER BY {id_column}
LIMIT 10;
