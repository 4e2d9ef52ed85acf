"""The weekly summary the data scientists look at first, as a pandas DataFrame.

Per week of the last SHOPPING_SUMMARY_WEEKS weeks of loaded purchases: the week's
Monday (PERIOD_START) and ISO week, how many customers bought, how many products were
bought, how many basket lines that made, and basket lines per customer. The counts come
from MART.PURCHASE_COUNTS_BY_WEEK (sql/mart/weekly_summary.sql); the ISO week and the
ratio are pandas'. SnowflakePandasIOManager stores the frame as MART.WEEKLY_SUMMARY,
replaced whole every time (resources/snowflake_pandas.py), and its check reads it back
through the same IO manager. A few rows, whatever the history: the weekly run makes it.
"""

from datetime import timedelta

import dagster as dg
import pandas as pd
import pyarrow as pa
from dagster import AssetCheckResult, AssetExecutionContext, AssetKey, asset, asset_check

from shopping_assets import tables
from shopping_assets.export import sql_batches
from shopping_assets.metadata import definition, markdown_table
from shopping_assets.resources.snowflake_pandas import IO_MANAGER_KEY
from shopping_assets.resources.warehouse import Warehouse
from shopping_assets.retries import service_retry
from shopping_assets.settings import Settings

WEEKLY_SUMMARY = "weekly_summary"
TABLE = tables.WEEKLY_SUMMARY
COLUMNS = [column.name.lower() for column in TABLE.columns]  # as the IO manager reads them back
# what the SQL counts; the other columns are computed here
COUNTED = pa.schema(
    [TABLE.arrow_schema().field(name) for name in ("period_start", "customers", "products", "purchases")]
)


def summary(counted: pd.DataFrame) -> pd.DataFrame:
    """The weekly counts with their ISO week and basket lines per customer, in the table's column order."""
    frame = counted.copy()
    iso = pd.to_datetime(frame["period_start"]).dt.isocalendar()
    frame["iso_week"] = iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    frame["purchases_per_customer"] = (frame["purchases"] / frame["customers"]).round(2)
    return frame[COLUMNS]


def weekly_counts(warehouse: Warehouse, weeks: int) -> pd.DataFrame:
    """The last `weeks` weeks, counted back from the latest purchase loaded (none when nothing is)."""
    with warehouse.session() as session:
        [[latest]] = session.rows("mart/latest_purchase")
    after = (latest - timedelta(days=7 * weeks)).date() if latest else None
    batches = sql_batches(warehouse, "mart/weekly_summary", COUNTED, after=after)
    return pa.concat_tables(batches).to_pandas()


def problems(frame: pd.DataFrame, weeks: int) -> list[str]:
    """What would make the summary wrong, judged on the frame alone."""
    starts = pd.to_datetime(frame["period_start"])
    found = []
    if len(frame) > weeks:
        found.append(f"{len(frame)} weeks, more than the {weeks} asked for")
    if not starts.is_monotonic_increasing or starts.duplicated().any():
        found.append("weeks out of order or repeated")
    if (starts.dt.dayofweek != 0).any():
        found.append("a PERIOD_START that is not a Monday")
    if len(starts) and (starts.max() - starts.min()).days >= 7 * weeks:
        found.append(f"weeks spread over more than {weeks} weeks")
    if (frame["purchases"] < frame[["customers", "products"]].max(axis=1)).any():
        found.append("fewer basket lines than customers or products in a week")
    return found


def weekly_summary_definitions(database: str, weeks: int, retry: dg.RetryPolicy) -> list:
    @asset(
        name=WEEKLY_SUMMARY,
        io_manager_key=IO_MANAGER_KEY,
        deps=[AssetKey("purchase_counts_by_week")],
        retry_policy=retry,
        group_name="mart",
        kinds={"snowflake", "pandas"},
        description=(
            f"MART.WEEKLY_SUMMARY, a pandas DataFrame kept by SnowflakePandasIOManager: per week of the last {weeks} "
            "weeks of loaded purchases (SHOPPING_SUMMARY_WEEKS), the customers who bought, the products bought, "
            "the basket lines and basket lines per customer. Replaced whole every time."
        ),
        **definition(weekly_counts, ["mart/latest_purchase", "mart/weekly_summary"], TABLE, database),
    )
    def weekly_summary(context: AssetExecutionContext, warehouse: Warehouse) -> pd.DataFrame:
        frame = summary(weekly_counts(warehouse, weeks))
        context.add_output_metadata(
            {
                "weeks": len(frame),
                "purchases": int(frame["purchases"].sum()),
                "preview": markdown_table(list(frame.columns), list(frame.tail(5).itertuples(index=False))),
            }
        )
        return frame

    @asset_check(
        asset=weekly_summary,
        name="summary_is_consistent",
        description=(
            "Reads MART.WEEKLY_SUMMARY back through the IO manager: one row per Monday, in order, within "
            f"{weeks} weeks, and never fewer basket lines than customers or products in a week."
        ),
    )
    def summary_is_consistent(weekly_summary: pd.DataFrame) -> AssetCheckResult:
        found = problems(weekly_summary, weeks)
        return AssetCheckResult(
            passed=not found, metadata={"weeks": len(weekly_summary), "problems": "; ".join(found) or "none"}
        )

    return [weekly_summary, summary_is_consistent]


@dg.definitions
def defs() -> dg.Definitions:
    settings = Settings.from_env()
    weekly_summary, check = weekly_summary_definitions(
        settings.database, settings.summary_weeks, service_retry(settings)
    )
    return dg.Definitions(assets=[weekly_summary], asset_checks=[check])
