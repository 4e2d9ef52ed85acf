-- The column types Snowflake infers for the staged file: what write_pandas creates the
-- table with and casts each column to in its COPY.
SELECT COLUMN_NAME, TYPE
FROM TABLE(INFER_SCHEMA(
    LOCATION => '@{database}.MART.DOCTOR_PROBE_STAGE',
    FILE_FORMAT => '{database}.MART.DOCTOR_PROBE_FORMAT'
))
ORDER BY COLUMN_NAME;
