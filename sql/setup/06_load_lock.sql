-- The lock every replacing transaction takes first (sql/raw/take_load_lock.sql).
-- Two runs loading the same partition at once (the schedule and a manual run)
-- would otherwise both delete the old rows and both insert new ones. Snowflake
-- makes the second UPDATE wait for the first transaction to commit; the emulator
-- (DuckDB, optimistic) fails it with a conflict, and the step's RetryPolicy runs
-- it again. Either way the loads happen one after the other.
CREATE TABLE IF NOT EXISTS {database}.RAW.LOAD_LOCK (
    NAME VARCHAR,
    TAKEN_AT TIMESTAMP_NTZ
);
INSERT INTO {database}.RAW.LOAD_LOCK (NAME)
SELECT 'loads' WHERE NOT EXISTS (SELECT 1 FROM {database}.RAW.LOAD_LOCK WHERE NAME = 'loads');
