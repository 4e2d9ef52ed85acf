-- The lock every replacing transaction takes first (sql/raw/take_load_lock.sql).
-- Two runs loading the same partition at once (the schedule and a manual run)
-- would otherwise both delete the old rows and both insert new ones. Snowflake
-- makes the second UPDATE wait for the first transaction to commit, at most the
-- session's LOCK_TIMEOUT (set by the pipeline's connection, not Snowflake's 12-hour
-- default); the emulator (DuckDB, optimistic) fails it with a conflict at once. Either
-- way the step fails with a message naming the lock, its RetryPolicy runs it again,
-- and the loads happen one after the other.
CREATE TABLE IF NOT EXISTS {database}.RAW.LOAD_LOCK (
    NAME VARCHAR,
    TAKEN_AT TIMESTAMP_NTZ
);
INSERT INTO {database}.RAW.LOAD_LOCK (NAME)
SELECT 'loads' WHERE NOT EXISTS (SELECT 1 FROM {database}.RAW.LOAD_LOCK WHERE NAME = 'loads');
