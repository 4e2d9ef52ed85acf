-- The data scientists' weekly summary: per week (PERIOD_START, a Monday) of the last
-- `weeks` weeks of loaded purchases, how many customers bought, how many products
-- were bought and how many basket lines that made. The weeks count back from the latest
-- purchase loaded (a MAX Snowflake answers from the table's metadata), so the summary
-- shows the data's own latest weeks whatever the date: a week whose Monday is 7 * weeks
-- days or more before that purchase is out, so the latest purchase's week and the
-- weeks - 1 before it are in. Read through the weekly view, so the summary and the view
-- cannot count differently.
WITH latest AS (
    SELECT MAX(PURCHASED_AT) AS PURCHASED_AT
    FROM {database}.STAGING.TRANSACTION_ITEMS
)
SELECT
    w.PERIOD_START,
    COUNT(DISTINCT w.CUSTOMER_ID) AS CUSTOMERS,
    COUNT(DISTINCT w.PRODUCT_ID) AS PRODUCTS,
    SUM(w.PURCHASE_COUNT) AS PURCHASES
FROM {database}.MART.PURCHASE_COUNTS_BY_WEEK AS w
JOIN latest ON w.PERIOD_START > DATEADD(day, -7 * %(weeks)s, latest.PURCHASED_AT)
GROUP BY w.PERIOD_START
ORDER BY w.PERIOD_START;
