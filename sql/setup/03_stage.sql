-- The input bucket, read through the storage integration that bootstrap creates
-- (no keys in Snowflake). The emulator's variant is sql/emulator/03_stage.sql.
CREATE STAGE IF NOT EXISTS {database}.RAW.INPUT_STAGE
    URL = %(stage_url)s
    STORAGE_INTEGRATION = {storage_integration};
