-- A whole table or view, ordered, for `shopping-pipeline export` ({schema}.{name} and
-- {order} come from the export module's list of exportable tables, never from the user).
SELECT *
FROM {database}.{schema}.{name}
ORDER BY {order};
