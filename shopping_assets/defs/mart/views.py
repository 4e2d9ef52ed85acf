"""The data scientists' views of purchase counts: all time, by week and by month.

Plain Snowflake VIEWs over STAGING.TRANSACTION_ITEMS: (re)creating one costs the same
with one month loaded as with ten years, so the weekly run does it every week. The
checks that aggregate them over all of history live in `audits.py`.
"""

import dagster as dg
from dagster import AssetKey, AssetsDefinition, MaterializeResult, RetryPolicy, asset

from shopping_assets import tables
from shopping_assets.resources.warehouse import Warehouse
from shopping_assets.retries import service_retry
from shopping_assets.settings import Settings

# The day of the period each purchase falls on, whatever the reader's WEEK_START
DAY_OF = {"WEEK": "DAYOFWEEKISO", "MONTH": "DAYOFMONTH"}
VIEWS = ("purchase_counts", "purchase_counts_by_week", "purchase_counts_by_month")


def period_identifiers(period: str) -> dict[str, str]:
    """The names sql/mart/purchase_counts_by_period.sql and period_reconciliation.sql take."""
    return {"period": period, "day_of_period": DAY_OF[period]}


def purchase_counts(warehouse: Warehouse) -> MaterializeResult:
    with warehouse.session() as session:
        session.run("mart/purchase_counts")
    return MaterializeResult(metadata={"view": warehouse.table("MART", "PURCHASE_COUNTS")})


def period_view(period: str, retry: RetryPolicy) -> AssetsDefinition:
    table = tables.purchase_counts_by(period)

    @asset(
        name=f"purchase_counts_by_{period.lower()}",
        retry_policy=retry,
        deps=[AssetKey("purchase_counts")],
        group_name="mart",
        kinds={"snowflake", "view"},
        description=(
            f"MART.{table.name}: purchase counts per customer, product and {period.lower()} "
            f"(PERIOD_START, the {period.lower()}'s first day{', a Monday' if period == 'WEEK' else ''}), "
            "dated by date_of_purchase. Its totals equal the all-time view's."
        ),
        metadata={"dagster/column_schema": table.column_schema()},
    )
    def view(warehouse: Warehouse) -> MaterializeResult:
        with warehouse.session() as session:
            session.run("mart/purchase_counts_by_period", period_identifiers(period))
        return MaterializeResult(metadata={"view": warehouse.table("MART", table.name)})

    return view


def view_assets(retry: RetryPolicy) -> list[AssetsDefinition]:
    all_time = asset(
        name="purchase_counts",
        retry_policy=retry,
        deps=[AssetKey("transaction_items"), AssetKey("raw_customers"), AssetKey("raw_products")],
        group_name="mart",
        kinds={"snowflake", "view"},
        description=(
            "MART.PURCHASE_COUNTS: one row per (customer, product) the customer bought, with how many "
            "basket lines of it they bought over all loaded months. A view: always as current as the tables."
        ),
        metadata={"dagster/column_schema": tables.PURCHASE_COUNTS.column_schema()},
    )(purchase_counts)
    return [all_time, *(period_view(period, retry) for period in DAY_OF)]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=view_assets(service_retry(Settings.from_env())))
