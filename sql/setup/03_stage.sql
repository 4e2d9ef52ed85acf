-- The input bucket's prefix, read through the storage integration that bootstrap
-- creates (no keys in Snowflake). Bootstrap runs this as the role that owns the
-- integration, so the pipeline needs only USAGE on the stage. CREATE OR ALTER moves an
-- existing stage to a new URL. The emulator's variant is sql/emulator/03_stage.sql.
CREATE OR ALTER STAGE {database}.RAW.INPUT_STAGE
    URL = %(stage_url)s
    STORAGE_INTEGRATION = {storage_integration};
