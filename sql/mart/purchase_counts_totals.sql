-- Whole history: the all-time view's rows, customers, products and the basket
-- lines it counts (the view aggregated once).
SELECT COUNT(*), COUNT(DISTINCT CUSTOMER_ID), COUNT(DISTINCT PRODUCT_ID), SUM(PURCHASE_COUNT)
FROM {database}.MART.PURCHASE_COUNTS;
