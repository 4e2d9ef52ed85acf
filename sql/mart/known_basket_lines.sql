-- Whole history: basket lines whose customer and product are known, counted
-- straight from the tables, to audit MART.PURCHASE_COUNTS against.
SELECT COUNT(*)
FROM {database}.STAGING.TRANSACTION_ITEMS AS i
JOIN {database}.STAGING.CUSTOMERS AS c ON c.CUSTOMER_ID = i.CUSTOMER_ID
JOIN {database}.STAGING.PRODUCTS AS p ON p.PRODUCT_ID = i.PRODUCT_ID;
