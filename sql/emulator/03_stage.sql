-- Emulator variant of sql/setup/03_stage.sql: the emulator has no storage
-- integrations; it reads the embedded S3 server directly.
CREATE STAGE IF NOT EXISTS {database}.RAW.INPUT_STAGE
    URL = %(stage_url)s;
