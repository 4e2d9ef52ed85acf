-- The version of a partition's raw lines: each reload stamps every line it inserts
-- with its own LOADED_AT. Read before the classification and again under the load
-- lock: a difference means another run reloaded the partition in between.
SELECT COUNT(*), MAX(LOADED_AT)
FROM {database}.RAW.TRANSACTION_LINES
WHERE PARTITION_MONTH = %(month)s;
