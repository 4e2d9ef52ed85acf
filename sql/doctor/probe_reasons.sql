-- The reason the classification gave each of the probe file's lines (NULL: loaded).
SELECT LINE_NUMBER, REASON FROM {database}.STAGING.TRANSACTION_LINE_CHECKS ORDER BY LINE_NUMBER;
