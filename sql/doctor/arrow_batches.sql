-- A result large enough for Snowflake to send in several Arrow batches, with small and
-- large integers, so each batch may come typed with another integer width.
SELECT SEQ4() AS N, MOD(SEQ4(), 100) AS SMALL
FROM TABLE(GENERATOR(ROWCOUNT => %(rows)s));
