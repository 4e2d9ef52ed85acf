-- Each month of the range: basket lines dated in the month whose customer and product
-- are known, counted straight from the table, to audit the month's snapshot against.
-- A line is dated on its file's day or the next (rule date_out_of_window), so a month's
-- lines come from its own partition and, past midnight on its last day, the one before:
-- the PARTITION_MONTH range prunes the table to the range's partitions and the one before.
SELECT DATEADD(day, 1 - DAYOFMONTH(i.PURCHASED_AT), i.PURCHASED_AT::DATE) AS MONTH, COUNT(*) AS BASKET_LINES
FROM {database}.STAGING.TRANSACTION_ITEMS AS i
JOIN {database}.STAGING.CUSTOMERS AS c ON c.CUSTOMER_ID = i.CUSTOMER_ID
JOIN {database}.STAGING.PRODUCTS AS p ON p.PRODUCT_ID = i.PRODUCT_ID
WHERE i.PARTITION_MONTH BETWEEN DATEADD(month, -1, %(first_month)s::DATE) AND %(last_month)s::DATE
  AND i.PURCHASED_AT >= %(first_month)s::DATE
  AND i.PURCHASED_AT < DATEADD(month, 1, %(last_month)s::DATE)
GROUP BY 1;
