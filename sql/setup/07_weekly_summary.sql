-- The weekly summary the pandas IO manager (SnowflakePandasIOManager) replaces whole on
-- every write: made here so its types are the declared ones (tables.WEEKLY_SUMMARY) and
-- an empty summary is still a table to read. write_pandas' own CREATE TABLE IF NOT EXISTS
-- then finds it, and its COPY casts each column to these types.
CREATE TABLE IF NOT EXISTS {database}.MART.WEEKLY_SUMMARY (
    PERIOD_START DATE,
    ISO_WEEK VARCHAR,
    CUSTOMERS NUMBER(38, 0),
    PRODUCTS NUMBER(38, 0),
    PURCHASES NUMBER(38, 0),
    PURCHASES_PER_CUSTOMER FLOAT
);
