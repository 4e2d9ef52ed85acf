"""The whole-history audits of the views: the all-time total equals the basket lines, and
each period view sums to the all-time view.

They aggregate every loaded month, so they cost in proportion to the history: asset
checks of their own, run by `publish_job` and the monthly `audit_job`, never by the
weekly run (which checks the month it exports).
"""

import dagster as dg
from dagster import AssetCheckResult, AssetChecksDefinition, AssetKey, AssetSelection, RetryPolicy, asset_check

from shopping_assets import tables
from shopping_assets.defs.mart.views import DAY_OF
from shopping_assets.metadata import markdown_table
from shopping_assets.resources.warehouse import Warehouse
from shopping_assets.retries import service_retry
from shopping_assets.settings import Settings

# every whole-history check, for the jobs that run them or leave them out
WHOLE_HISTORY = AssetSelection.checks(
    dg.AssetCheckKey(AssetKey("purchase_counts"), "total_matches_items"),
    *(dg.AssetCheckKey(AssetKey(f"purchase_counts_by_{p.lower()}"), "reconciles_with_all_time") for p in DAY_OF),
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


def reconciliation(period: str, retry: RetryPolicy) -> AssetChecksDefinition:
    @asset_check(
        asset=AssetKey(f"purchase_counts_by_{period.lower()}"),
        name="reconciles_with_all_time",
        blocking=True,
        retry_policy=retry,
        description="Whole history: summed over periods, every (customer, product) count equals the all-time view's.",
    )
    def reconciles(warehouse: Warehouse) -> AssetCheckResult:
        with warehouse.session() as session:
            # one statement, so the period view is aggregated once for its counts and its check
            rows, periods, mismatches = session.rows("mart/period_reconciliation", {"period": period})[0]
        return AssetCheckResult(
            passed=int(mismatches) == 0,
            metadata={
                "view rows": int(rows),
                "periods": int(periods),
                "mismatched (customer, product) pairs": int(mismatches),
            },
        )

    return reconciles


def audit_checks(retry: RetryPolicy) -> list[AssetChecksDefinition]:
    total = asset_check(
        asset=AssetKey("purchase_counts"),
        name="total_matches_items",
        blocking=True,
        retry_policy=retry,
        description=(
            "Whole history: the view counts every loaded basket line whose customer and product are known, once. "
            "Reports the view's rows, customers, products and a preview."
        ),
    )(total_matches_items)
    return [total, *(reconciliation(period, retry) for period in DAY_OF)]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(asset_checks=audit_checks(service_retry(Settings.from_env())))
