-- The months' loaded basket lines whose customer or product the reference tables do
-- not know, counted by month and id. They stay loaded; the view's inner joins leave
-- them out.
SELECT i.PARTITION_MONTH, 'customers' AS KIND, i.CUSTOMER_ID AS ID, COUNT(*) AS BASKET_LINES
FROM {database}.STAGING.TRANSACTION_ITEMS AS i
LEFT JOIN {database}.STAGING.CUSTOMERS AS c ON c.CUSTOMER_ID = i.CUSTOMER_ID
WHERE i.PARTITION_MONTH BETWEEN %(first_month)s AND %(last_month)s AND c.CUSTOMER_ID IS NULL
GROUP BY i.PARTITION_MONTH, i.CUSTOMER_ID
UNION ALL
SELECT i.PARTITION_MONTH, 'products', i.PRODUCT_ID, COUNT(*)
FROM {database}.STAGING.TRANSACTION_ITEMS AS i
LEFT JOIN {database}.STAGING.PRODUCTS AS p ON p.PRODUCT_ID = i.PRODUCT_ID
WHERE i.PARTITION_MONTH BETWEEN %(first_month)s AND %(last_month)s AND p.PRODUCT_ID IS NULL
GROUP BY i.PARTITION_MONTH, i.PRODUCT_ID
ORDER BY 1, 2, 3;
