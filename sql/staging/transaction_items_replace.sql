-- One row per basket line of the partition's well-formed transactions.
-- Runs inside one transaction, reading only the partition's raw lines.
DELETE FROM {database}.STAGING.TRANSACTION_ITEMS WHERE PARTITION_MONTH = %(month)s;
INSERT INTO {database}.STAGING.TRANSACTION_ITEMS
    (PARTITION_MONTH, SOURCE_FILE, LINE_NUMBER, ITEM_INDEX, CUSTOMER_ID, PRODUCT_ID, PRICE, PURCHASED_AT)
SELECT
    t.PARTITION_MONTH,
    t.SOURCE_FILE,
    t.LINE_NUMBER,
    item.index,
    t.DOC:customer_id::VARCHAR,
    item.value:product_id::VARCHAR,
    item.value:price::NUMBER(38, 0),
    t.DOC:date_of_purchase::VARCHAR::TIMESTAMP_NTZ
FROM (
    SELECT PARTITION_MONTH, SOURCE_FILE, LINE_NUMBER, TRY_PARSE_JSON(LINE) AS DOC
    FROM {database}.RAW.TRANSACTION_LINES
    WHERE PARTITION_MONTH = %(month)s
) AS t,
    LATERAL FLATTEN(input => t.DOC:basket) AS item;
