-- Three layers: RAW holds input exactly as it arrived, STAGING typed and flattened
-- rows, MART what data scientists read. The database itself is created by
-- bootstrap in production (and on connect by the emulator).
CREATE SCHEMA IF NOT EXISTS {database}.RAW;
CREATE SCHEMA IF NOT EXISTS {database}.STAGING;
CREATE SCHEMA IF NOT EXISTS {database}.MART;
