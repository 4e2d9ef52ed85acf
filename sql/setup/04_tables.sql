-- Reference tables are replaced whole on every load; columns stay text here.
CREATE TABLE IF NOT EXISTS {database}.RAW.CUSTOMERS (
    CUSTOMER_ID VARCHAR,
    LOYALTY_SCORE VARCHAR,
    SOURCE_FILE VARCHAR,
    LOADED_AT TIMESTAMP_NTZ
);

CREATE TABLE IF NOT EXISTS {database}.RAW.PRODUCTS (
    PRODUCT_ID VARCHAR,
    PRODUCT_DESCRIPTION VARCHAR,
    PRODUCT_CATEGORY VARCHAR,
    SOURCE_FILE VARCHAR,
    LOADED_AT TIMESTAMP_NTZ
);

-- One row per input line. PARTITION_MONTH is the month of the folder the line
-- came from (the Dagster partition), so a partition reload touches only its rows.
CREATE TABLE IF NOT EXISTS {database}.RAW.TRANSACTION_LINES (
    PARTITION_MONTH DATE NOT NULL,
    SOURCE_FILE VARCHAR NOT NULL,
    LINE_NUMBER NUMBER(38, 0) NOT NULL,
    LINE VARCHAR,
    LOADED_AT TIMESTAMP_NTZ
);

-- One row per basket line of a well-formed transaction.
CREATE TABLE IF NOT EXISTS {database}.STAGING.TRANSACTION_ITEMS (
    PARTITION_MONTH DATE NOT NULL,
    SOURCE_FILE VARCHAR NOT NULL,
    LINE_NUMBER NUMBER(38, 0) NOT NULL,
    ITEM_INDEX NUMBER(38, 0) NOT NULL,
    CUSTOMER_ID VARCHAR,
    PRODUCT_ID VARCHAR,
    PRICE NUMBER(38, 0),
    PURCHASED_AT TIMESTAMP_NTZ
);

-- Every input line or row that was not loaded, with why. SOURCE is transactions,
-- customers or products; PARTITION_MONTH is set for transactions only.
CREATE TABLE IF NOT EXISTS {database}.STAGING.QUARANTINE (
    SOURCE VARCHAR NOT NULL,
    PARTITION_MONTH DATE,
    SOURCE_FILE VARCHAR NOT NULL,
    LINE_NUMBER NUMBER(38, 0),
    LINE VARCHAR,
    REASON VARCHAR NOT NULL,
    QUARANTINED_AT TIMESTAMP_NTZ
);

-- Type-2 history of the reference tables (docs/data-quality.md, "History of customers and
-- products"): one row per version of an id's values, valid from VALID_FROM until VALID_TO
-- (NULL, with IS_CURRENT, while it is the id's latest). A load only closes and opens
-- versions; an id that leaves the file keeps its versions, the last one closed.
-- SOURCE_FILE is the object the version was read from; LOADED_AT when it was recorded (UTC).
CREATE TABLE IF NOT EXISTS {database}.STAGING.CUSTOMERS_HISTORY (
    CUSTOMER_ID VARCHAR NOT NULL,
    LOYALTY_SCORE NUMBER(38, 0),
    VALID_FROM TIMESTAMP_NTZ NOT NULL,
    VALID_TO TIMESTAMP_NTZ,
    IS_CURRENT BOOLEAN NOT NULL,
    SOURCE_FILE VARCHAR,
    LOADED_AT TIMESTAMP_NTZ
);

CREATE TABLE IF NOT EXISTS {database}.STAGING.PRODUCTS_HISTORY (
    PRODUCT_ID VARCHAR NOT NULL,
    PRODUCT_DESCRIPTION VARCHAR,
    PRODUCT_CATEGORY VARCHAR,
    VALID_FROM TIMESTAMP_NTZ NOT NULL,
    VALID_TO TIMESTAMP_NTZ,
    IS_CURRENT BOOLEAN NOT NULL,
    SOURCE_FILE VARCHAR,
    LOADED_AT TIMESTAMP_NTZ
);

-- One row per load of a reference file into its history, changed or not: the date it
-- describes (AS_OF: its load time, or the date of a dated snapshot), so that a load dated
-- before the latest one can be refused, and a dated snapshot's digest, so that one
-- changed after it was loaded is noticed.
CREATE TABLE IF NOT EXISTS {database}.STAGING.REFERENCE_LOADS (
    SOURCE VARCHAR NOT NULL,
    AS_OF TIMESTAMP_NTZ NOT NULL,
    DATED BOOLEAN NOT NULL,
    SOURCE_FILE VARCHAR,
    DIGEST VARCHAR,
    VALID_ROWS NUMBER(38, 0),
    OPENED NUMBER(38, 0),
    CLOSED NUMBER(38, 0),
    LOADED_AT TIMESTAMP_NTZ
);
