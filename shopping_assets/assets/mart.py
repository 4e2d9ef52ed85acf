"""The data scientists' view of purchase counts."""


from dagster import AssetCheckResult, AssetCheckSpec, AssetKey, AssetsDefinition, MaterializeResult, asset

from shopping_assets.metadata import column_schema, markdown_table
from shopping_assets.resources.warehouse import Warehouse
from shopping_assets.retries import SERVICE_RETRY

PURCHASE_COUNTS_COLUMNS = (
    ("CUSTOMER_ID", "VARCHAR", "customer id, e.g. C1"),
    ("LOYALTY_SCORE", "NUMBER", "the customer's loyalty score, 1-10"),
    ("PRODUCT_ID", "VARCHAR", "product id, e.g. P03"),
    ("PRODUCT_CATEGORY", "VARCHAR", "house, clothes, fruit_veg, sweets, food or bws"),
    ("PURCHASE_COUNT", "NUMBER", "basket lines of this product bought by this customer (twice in a basket counts 2)"),
)


@asset(
    retry_policy=SERVICE_RETRY,
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


def period_view(period: str) -> AssetsDefinition:
    name = f"purchase_counts_by_{period.lower()}"

    @asset(
        retry_policy=SERVICE_RETRY,
        name=name,
        deps=[purchase_counts],
        group_name="mart",
        kinds={"snowflake", "view"},
        description=(
            f"MART.PURCHASE_COUNTS_BY_{period}: purchase counts per customer, product and {period.lower()} "
            f"(PERIOD_START, the {period.lower()}'s first day{', a Monday' if period == 'WEEK' else ''}), "
            "dated by date_of_purchase. Its totals equal the all-time view's."
        ),
        check_specs=[
            AssetCheckSpec("reconciles_with_all_time", asset=name, blocking=True,
                           description="Summed over periods, every (customer, product) count equals the all-time view's."),
        ],
    )  # fmt: skip
    def view(warehouse: Warehouse) -> MaterializeResult:
        table = warehouse.table("MART", f"PURCHASE_COUNTS_BY_{period}")
        all_time = warehouse.table("MART", "PURCHASE_COUNTS")
        with warehouse.session() as session:
            session.run("mart/purchase_counts_by_period", {"period": period})
            # one statement, so the period view is aggregated once for its counts and its check
            rows, periods, mismatches = session.query(
                f"WITH p AS (SELECT CUSTOMER_ID, PRODUCT_ID, PERIOD_START, PURCHASE_COUNT FROM {table}), "
                "pairs AS (SELECT CUSTOMER_ID, PRODUCT_ID, SUM(PURCHASE_COUNT) AS N FROM p GROUP BY CUSTOMER_ID, PRODUCT_ID) "
                "SELECT (SELECT COUNT(*) FROM p), (SELECT COUNT(DISTINCT PERIOD_START) FROM p), "
                f"(SELECT COUNT(*) FROM pairs FULL OUTER JOIN {all_time} AS a "
                "ON a.CUSTOMER_ID = pairs.CUSTOMER_ID AND a.PRODUCT_ID = pairs.PRODUCT_ID "
                "WHERE a.PURCHASE_COUNT IS NULL OR pairs.N IS NULL OR a.PURCHASE_COUNT <> pairs.N)"
            )[0]
        return MaterializeResult(
            metadata={"dagster/row_count": int(rows), "periods": int(periods), "view": table},
            check_results=[
                AssetCheckResult(
                    check_name="reconciles_with_all_time",
                    passed=int(mismatches) == 0,
                    metadata={"mismatched (customer, product) pairs": int(mismatches)},
                )
            ],
        )

    return view


PERIOD_VIEWS = [period_view("WEEK"), period_view("MONTH")]

ASSETS = [purchase_counts, *PERIOD_VIEWS]
