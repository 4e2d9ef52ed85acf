-- The database and its three layers (the pipeline also creates the schemas if
-- missing, but grants need them to exist first).
CREATE DATABASE IF NOT EXISTS {database};
CREATE SCHEMA IF NOT EXISTS {database}.RAW;
CREATE SCHEMA IF NOT EXISTS {database}.STAGING;
CREATE SCHEMA IF NOT EXISTS {database}.MART;
