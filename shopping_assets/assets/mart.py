"""The data scientists' view of purchase counts."""


from dagster import AssetCheckResult, AssetCheckSpec, AssetKey, MaterializeResult, asset

from shopping_assets.metadata import column_schema, markdown_table
from shopping_assets.resources.warehouse import Warehouse

PURCHASE_COUNTS_COLUMNS = (
    ("CUSTOMER_ID", "VARCHAR", "customer id, e.g. C1"),
    ("LOYALTY_SCORE", "NUMBER", "the customer's loyalty score, 1-10"),
    ("PRODUCT_ID", "VARCHAR", "product id, e.g. P03"),
    ("PRODUCT_CATEGORY", "VARCHAR", "house, clothes, fruit_veg, sweets, food or bws"),
    ("PURCHASE_COUNT", "NUMBER", "basket lines of this product bought by this customer (twice in a basket counts 2)"),
)


@asset(
    deps=[AssetKey("transaction_items"), AssetKey("raw_customers"), AssetKey("raw_products")],
    group_name="mart",
    kinds={"snowflake", "view"},
    description=(
        "MART.PURCHASE_COUNTS: one row per (customer, product) the customer bought, with how many "
        "basket lines of it they bought over all loaded months."
    ),
    metadata={"dagster/column_schema": column_schema(PURCHASE_COUNTS_COLUMNS)},
    check_specs=[
        AssetCheckSpec(
            "total_matches_items",
            asset="purchase_counts",
            blocking=True,
            description="The view counts every loaded basket line whose customer and product are known, once.",
        )
    ],
)
def purchase_counts(warehouse: Warehouse) -> MaterializeResult:
    view = warehouse.table("MART", "PURCHASE_COUNTS")
    with warehouse.session() as session:
        session.run("mart/purchase_counts")
        rows, customers, products, lines = session.query(
            f"SELECT COUNT(*), COUNT(DISTINCT CUSTOMER_ID), COUNT(DISTINCT PRODUCT_ID), SUM(PURCHASE_COUNT) FROM {view}"
        )[0]
        preview = session.query(f"SELECT * FROM {view} ORDER BY PURCHASE_COUNT DESC, CUSTOMER_ID, PRODUCT_ID LIMIT 10")
        known = session.query(
            f"SELECT COUNT(*) FROM {warehouse.table('STAGING', 'TRANSACTION_ITEMS')} AS i "
            f"JOIN {warehouse.table('STAGING', 'CUSTOMERS')} AS c ON c.CUSTOMER_ID = i.CUSTOMER_ID "
            f"JOIN {warehouse.table('STAGING', 'PRODUCTS')} AS p ON p.PRODUCT_ID = i.PRODUCT_ID"
        )[0][0]
    return MaterializeResult(
        metadata={
            "dagster/row_count": int(rows),
            "customers": int(customers),
            "products": int(products),
            "basket lines counted": int(lines or 0),
            "view": view,
            "preview": markdown_table([c[0] for c in PURCHASE_COUNTS_COLUMNS], preview),
        },
        check_results=[
            AssetCheckResult(
                check_name="total_matches_items",
                passed=int(lines or 0) == int(known),
                metadata={"view total": int(lines or 0), "known basket lines": int(known)},
            )
        ],
    )


ASSETS = [purchase_counts]
