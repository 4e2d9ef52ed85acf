-- The latest purchase loaded, which the weekly summary counts its weeks back from (a MAX
-- Snowflake answers from the table's metadata).
SELECT MAX(PURCHASED_AT) FROM {database}.STAGING.TRANSACTION_ITEMS;
