-- How many times a customer bought a product in the weeks from one Monday to another
-- (both included): a sum over the weekly view's PERIOD_START.
SELECT COALESCE(SUM(PURCHASE_COUNT), 0) AS PURCHASES
FROM {database}.MART.PURCHASE_COUNTS_BY_WEEK
WHERE CUSTOMER_ID = %(customer_id)s
  AND PRODUCT_ID = %(product_id)s
  AND PERIOD_START BETWEEN %(first_monday)s AND %(last_monday)s;
