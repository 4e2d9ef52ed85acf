-- What the pandas IO manager's write_pandas creates for itself in MART, in its session:
-- a temporary stage and a temporary Parquet file format. Creating them asks for CREATE
-- STAGE and CREATE FILE FORMAT on MART, which only the account can confirm.
CREATE TEMPORARY STAGE {database}.MART.DOCTOR_PROBE_STAGE FILE_FORMAT = (TYPE = PARQUET);
CREATE TEMPORARY FILE FORMAT {database}.MART.DOCTOR_PROBE_FORMAT TYPE = PARQUET USE_LOGICAL_TYPE = TRUE;
