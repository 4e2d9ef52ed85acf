-- The data scientists' view: how many times each customer bought each product.
-- PURCHASE_COUNT counts basket lines, so a product twice in one basket counts 2.
-- Only customers and products present in the reference tables appear. COPY GRANTS:
-- the reader's SELECT survives the replacement, before and after Snowflake's 2026_08
-- bundle (which copies grants by default instead of re-applying future grants).
CREATE OR REPLACE VIEW {database}.MART.PURCHASE_COUNTS COPY GRANTS AS
SELECT
    c.CUSTOMER_ID,
    c.LOYALTY_SCORE,
    p.PRODUCT_ID,
    p.PRODUCT_CATEGORY,
    COUNT(*) AS PURCHASE_COUNT
FROM {database}.STAGING.TRANSACTION_ITEMS AS i
JOIN {database}.STAGING.CUSTOMERS AS c ON c.CUSTOMER_ID = i.CUSTOMER_ID
JOIN {database}.STAGING.PRODUCTS AS p ON p.PRODUCT_ID = i.PRODUCT_ID
GROUP BY c.CUSTOMER_ID, c.LOYALTY_SCORE, p.PRODUCT_ID, p.PRODUCT_CATEGORY;
