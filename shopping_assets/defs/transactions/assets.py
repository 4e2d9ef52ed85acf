"""Transactions by month partition: files -> S3 -> RAW lines -> basket items and quarantine.

A step handles one month or a range of them (a backfill runs them as one run, as the
backfill policy says): one COPY naming the range's files, one classification, one
replacing transaction. Every step replaces exactly its months, so re-running any
range leaves the same objects and rows. Every input line ends up either loaded
(STAGING.TRANSACTION_ITEMS) or quarantined (STAGING.QUARANTINE), and each month's
checks prove it.
"""

from collections.abc import Iterator

import dagster as dg
from dagster import AssetCheckSpec, AssetKey, AssetsDefinition, AssetSpec, PartitionsDefinition, asset, multi_asset

from shopping_assets import tables
from shopping_assets.defs.transactions import items as items_step
from shopping_assets.defs.transactions import raw_lines
from shopping_assets.defs.transactions.files import transaction_files, transaction_objects
from shopping_assets.metadata import definition
from shopping_assets.partition_results import partitioned_check
from shopping_assets.partitions import backfill_policy, monthly_partitions
from shopping_assets.resources.lake import Lake
from shopping_assets.resources.warehouse import Warehouse
from shopping_assets.retries import service_retry
from shopping_assets.settings import Settings


def transaction_assets(settings: Settings) -> list[AssetsDefinition]:
    """The chain's monthly assets, partitioned, retried and backfilled as the settings say."""
    partitions = monthly_partitions(settings)
    common = {
        "partitions_def": partitions,
        "retry_policy": service_retry(settings),
        "backfill_policy": backfill_policy(settings),
    }
    database = settings.database
    files = asset(
        name="transaction_files",
        group_name="inputs",
        kinds={"json"},
        description="The month's daily JSON Lines files, transactions/d=YYYY-MM-DD/transactions.json.",
        **definition(transaction_files),
        **common,
    )(transaction_files)
    objects = asset(
        name="transaction_objects",
        deps=[files],
        group_name="landing",
        kinds={"s3"},
        description="The month's files in the input bucket under transactions/YYYY/MM/, one object per day.",
        **definition(transaction_objects, uri=f"{settings.stage_url}transactions/"),
        **common,
    )(transaction_objects)
    lines = asset(
        name="raw_transaction_lines",
        deps=[objects],
        group_name="raw",
        kinds={"snowflake"},
        description=(
            "RAW.TRANSACTION_LINES: every line of the month's files, verbatim, with its file and line number. "
            "Loaded by COPY INTO from the stage, naming the month's files."
        ),
        check_specs=[
            partitioned_check(
                "lines_match_files",
                "raw_transaction_lines",
                "RAW holds exactly as many lines as the month's files in the bucket have.",
                partitions,
                blocking=True,
            )
        ],
        **definition(raw_lines.raw_transaction_lines, raw_lines.SQL, tables.RAW_TRANSACTION_LINES, database),
        **common,
    )(raw_lines.raw_transaction_lines)
    items_definition = {"sql": items_step.SQL, "database": database}

    @multi_asset(
        name="transaction_items",
        specs=[
            AssetSpec(
                "transaction_items",
                deps=[lines, AssetKey("raw_customers"), AssetKey("raw_products")],
                group_name="staging",
                kinds={"snowflake"},
                description=(
                    "STAGING.TRANSACTION_ITEMS: one row per basket line (customer, product, price, purchase time) "
                    "of the month's valid transactions; every other line goes to the quarantine with its reason."
                ),
                **definition(items_step.transaction_items, table=tables.TRANSACTION_ITEMS, **items_definition),
            ),
            AssetSpec(
                "transaction_quarantine",
                deps=[lines],
                group_name="staging",
                kinds={"snowflake", "json"},
                description=(
                    "The month's rejected lines, verbatim, each with the first rule it breaks: STAGING.QUARANTINE "
                    "where SOURCE = 'transactions', and quarantine/transactions/YYYY/MM/quarantine.jsonl in the "
                    "bucket. Written with the basket items, in the same transaction."
                ),
                **definition(items_step.transaction_items, table=tables.QUARANTINE, **items_definition),
            ),
        ],
        check_specs=item_checks(partitions),
        **common,
    )
    def items(context: dg.AssetExecutionContext, warehouse: Warehouse, lake: Lake) -> Iterator:
        rates = settings.quarantine_warn_rate, settings.quarantine_max_rate
        yield from items_step.transaction_items(context, warehouse, lake, *rates)

    return [files, objects, lines, items]


def item_checks(partitions: PartitionsDefinition) -> list[AssetCheckSpec]:
    def on_items(name: str, description: str, blocking: bool = True) -> AssetCheckSpec:
        return partitioned_check(name, "transaction_items", description, partitions, blocking)

    return [
        on_items("lines_accounted_for", "Raw lines = loaded lines + quarantined lines."),
        on_items(
            "quarantine_rate",
            "Quarantined share of lines: warns above SHOPPING_QUARANTINE_WARN_RATE, "
            "fails above SHOPPING_QUARANTINE_MAX_RATE.",
        ),
        on_items(
            "valid_prices_and_dates",
            "Loaded prices are positive integers; purchase dates are the file's day or the next.",
        ),
        on_items(
            "known_customers_and_products",
            "Basket lines whose customer or product is not in the reference tables (loaded, but left out of the view).",
            blocking=False,
        ),
    ]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=transaction_assets(Settings.from_env()))
