-- The database and its three layers: RAW holds input exactly as it arrived, STAGING
-- typed and flattened rows, MART what data scientists read. Created here, by the
-- administrator: the pipeline's role has only USAGE on the database.
CREATE DATABASE IF NOT EXISTS {database};
CREATE SCHEMA IF NOT EXISTS {database}.RAW;
CREATE SCHEMA IF NOT EXISTS {database}.STAGING;
CREATE SCHEMA IF NOT EXISTS {database}.MART;
