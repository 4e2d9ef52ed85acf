"""The data scientists' views of purchase counts, and the audits that read all of history.

The views are plain Snowflake VIEWs over STAGING.TRANSACTION_ITEMS: (re)creating one
costs the same with one month loaded as with ten years, so the weekly run does it
every week. What does grow with history is aggregating a view, so the whole-history
audits (the all-time total equals the basket lines, the period views sum to the
all-time view) are asset checks of their own: `publish_job` and the monthly
`audit_job` run them, the weekly run does not (it checks the month it exports).
"""

from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    MaterializeResult,
    asset,
    asset_check,
)

from shopping_assets import tables
from shopping_assets.metadata import markdown_table
from shopping_assets.resources.warehouse import Warehouse
from shopping_assets.retries import SERVICE_RETRY

@asset(
    retry_policy=SERVICE_RETRY,
    deps=[AssetKey("transaction_items"), AssetKey("raw_customers"), AssetKey("raw_products")],
    group_name="mart",
    kinds={"snowflake", "view"},
    description=(
        "MART.PURCHASE_COUNTS: one row per (customer, product) the customer bought, with how many "
        "basket lines of it they bought over all loaded months. A view: always as current as the tables."
    ),
    metadata={"dagster/column_schema": tables.PURCHASE_COUNTS.column_schema()},
)
def purchase_counts(warehouse: Warehouse) -> MaterializeResult:
    with warehouse.session() as session:
        session.run("mart/purchase_counts")
    return MaterializeResult(metadata={"view": warehouse.table("MART", "PURCHASE_COUNTS")})


@asset_check(
    asset=purchase_counts,
    name="total_matches_items",
    blocking=True,
    retry_policy=SERVICE_RETRY,
    description=(
        "Whole history: the view counts every loaded basket line whose customer and product are known, once. "
        "Reports the view's rows, customers, products and a preview."
    ),
)
def total_matches_items(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.session() as session:
        rows, customers, products, lines = session.rows("mart/purchase_counts_totals")[0]
        preview = session.rows("mart/purchase_counts_preview")
        known = session.rows("mart/known_basket_lines")[0][0]
    return AssetCheckResult(
        passed=int(lines or 0) == int(known),
        metadata={
            "view rows": int(rows),
            "customers": int(customers),
            "products": int(products),
            "basket lines counted": int(lines or 0),
            "known basket lines": int(known),
            "preview": markdown_table([c.name for c in tables.PURCHASE_COUNTS.columns], preview),
        },
    )


# The day of the period each purchase falls on, whatever the reader's WEEK_START
DAY_OF = {"WEEK": "DAYOFWEEKISO", "MONTH": "DAYOFMONTH"}


def period_identifiers(period: str) -> dict[str, str]:
    """The names sql/mart/purchase_counts_by_period.sql and period_reconciliation.sql take."""
    return {"period": period, "day_of_period": DAY_OF[period]}


def period_view(period: str) -> tuple[AssetsDefinition, AssetChecksDefinition]:
    name = f"purchase_counts_by_{period.lower()}"
    table = f"PURCHASE_COUNTS_BY_{period}"

    @asset(
        retry_policy=SERVICE_RETRY,
        name=name,
        deps=[purchase_counts],
        group_name="mart",
        kinds={"snowflake", "view"},
        description=(
            f"MART.{table}: purchase counts per customer, product and {period.lower()} "
            f"(PERIOD_START, the {period.lower()}'s first day{', a Monday' if period == 'WEEK' else ''}), "
            "dated by date_of_purchase. Its totals equal the all-time view's."
        ),
        metadata={"dagster/column_schema": tables.purchase_counts_by(period).column_schema()},
    )  # fmt: skip
    def view(warehouse: Warehouse) -> MaterializeResult:
        with warehouse.session() as session:
            session.run("mart/purchase_counts_by_period", period_identifiers(period))
        return MaterializeResult(metadata={"view": warehouse.table("MART", table)})

    @asset_check(
        asset=view,
        name="reconciles_with_all_time",
        blocking=True,
        retry_policy=SERVICE_RETRY,
        description="Whole history: summed over periods, every (customer, product) count equals the all-time view's.",
    )
    def reconciles(warehouse: Warehouse) -> AssetCheckResult:
        with warehouse.session() as session:
            # one statement, so the period view is aggregated once for its counts and its check
            rows, periods, mismatches = session.rows("mart/period_reconciliation", {"period": period})[0]
        return AssetCheckResult(
            passed=int(mismatches) == 0,
            metadata={"view rows": int(rows), "periods": int(periods), "mismatched (customer, product) pairs": int(mismatches)},
        )  # fmt: skip

    return view, reconciles


(by_week, by_week_check), (by_month, by_month_check) = period_view("WEEK"), period_view("MONTH")

ASSETS = [purchase_counts, by_week, by_month]
# Checks that aggregate all of history: not in the weekly path (see the module's docstring).
WHOLE_HISTORY_CHECKS = [total_matches_items, by_week_check, by_month_check]
WHOLE_HISTORY = AssetSelection.checks(*WHOLE_HISTORY_CHECKS)
