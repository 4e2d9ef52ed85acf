-- The data scientists' weekly summary: per week (PERIOD_START, a Monday) of the last
-- weeks of loaded purchases, how many customers bought, how many products were bought
-- and how many basket lines that made. %(after)s is the day 7 * weeks days before the
-- latest purchase (sql/mart/latest_purchase.sql): a week whose Monday is that day or
-- earlier is out, so the latest purchase's week and the weeks - 1 before it are in. A
-- bound value rather than a join on the MAX, so the filter reaches the view's table
-- instead of following its aggregation over all history. Read through the weekly view,
-- so the summary and the view cannot count differently.
SELECT
    w.PERIOD_START,
    COUNT(DISTINCT w.CUSTOMER_ID) AS CUSTOMERS,
    COUNT(DISTINCT w.PRODUCT_ID) AS PRODUCTS,
    SUM(w.PURCHASE_COUNT) AS PURCHASES
FROM {database}.MART.PURCHASE_COUNTS_BY_WEEK AS w
WHERE w.PERIOD_START > %(after)s
GROUP BY w.PERIOD_START
ORDER BY w.PERIOD_START;
