"""The period views as purchased: each purchase with the loyalty score and category valid when
it was made, read from STAGING's type-2 history (`defs/reference/history.py`).

Today's views (`views.py`) keep today's values: the acceptance view must. A model trained on
past weeks needs what was known then, or the future leaks into the past. Plain VIEWs, so
(re)creating one costs the same however long the history.
"""

import dagster as dg
from dagster import AssetKey, AssetsDefinition, MaterializeResult, RetryPolicy, asset

from shopping_assets import tables
from shopping_assets.defs.mart.views import DAY_OF, period_identifiers
from shopping_assets.defs.reference.history import OWNERS
from shopping_assets.reference_history import HISTORIES
from shopping_assets.resources.warehouse import Warehouse
from shopping_assets.retries import service_retry
from shopping_assets.settings import Settings

AS_PURCHASED_VIEWS = tuple(f"purchase_counts_by_{period.lower()}_as_purchased" for period in DAY_OF)


def as_purchased_view(period: str, retry: RetryPolicy, database: str) -> AssetsDefinition:
    table = tables.purchase_counts_as_purchased(period)

    @asset(
        name=f"purchase_counts_by_{period.lower()}_as_purchased",
        retry_policy=retry,
        deps=[AssetKey("transaction_items"), *(AssetKey(h.asset) for h in HISTORIES)],
        group_name="mart",
        kinds={"snowflake", "view"},
        owners=OWNERS,
        description=(
            f"MART.{table.name}: MART.PURCHASE_COUNTS_BY_{period}'s columns, with LOYALTY_SCORE and PRODUCT_CATEGORY "
            "as valid at each purchase's date_of_purchase (a purchase before an id's first recorded version takes "
            "that version). Two rows for one customer, product and period when a value changed within it."
        ),
        metadata={"dagster/table_name": table.qualified(database), "dagster/column_schema": table.column_schema()},
    )
    def view(warehouse: Warehouse) -> MaterializeResult:
        with warehouse.session() as session:
            session.run("mart/purchase_counts_by_period_as_purchased", period_identifiers(period))
        return MaterializeResult(metadata={"view": warehouse.table("MART", table.name)})

    return view


@dg.definitions
def defs() -> dg.Definitions:
    settings = Settings.from_env()
    retry = service_retry(settings)
    return dg.Definitions(assets=[as_purchased_view(period, retry, settings.database) for period in DAY_OF])
