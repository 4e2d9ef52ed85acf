-- The version of each month's raw lines: each reload stamps every line it inserts
-- with its own LOADED_AT. Read before the classification and again under the load
-- lock: a difference means another run reloaded a month in between.
SELECT PARTITION_MONTH, COUNT(*), MAX(LOADED_AT)
FROM {database}.RAW.TRANSACTION_LINES
WHERE PARTITION_MONTH BETWEEN %(first_month)s AND %(last_month)s
GROUP BY PARTITION_MONTH
ORDER BY PARTITION_MONTH;
