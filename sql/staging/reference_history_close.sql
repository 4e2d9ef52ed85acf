-- Step 1 of a history load (one transaction, under the load lock; {history} is
-- CUSTOMERS_HISTORY or PRODUCTS_HISTORY, {table} the typed STAGING view of the file).
-- Closes, as of this load, every current version the file no longer holds as it is: its id
-- is missing (a soft delete: the version stays, closed) or its values changed. Rows compare
-- whole with MINUS, which takes two NULLs as equal (a description may be empty), and every
-- subquery is uncorrelated, as Snowflake's UPDATE requires. Only current versions are read.
UPDATE {database}.STAGING.{history}
SET VALID_TO = %(as_of)s::TIMESTAMP_NTZ, IS_CURRENT = FALSE
WHERE IS_CURRENT
  AND {id_column} IN (
      SELECT {id_column}
      FROM (
          SELECT {columns} FROM {database}.STAGING.{history} WHERE IS_CURRENT
          MINUS
          SELECT {columns} FROM {database}.STAGING.{table}
      )
  );
