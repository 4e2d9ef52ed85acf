"""The Dagster definitions: shopping_assets.definitions:defs."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor

from shopping_assets.assets import mart, reference, snapshot, transactions
from shopping_assets.assets.snapshot import snapshot_job
from shopping_assets.automation import JOBS, SCHEDULES, SENSORS, with_freshness
from shopping_assets.resources import InputData, build_resources
from shopping_assets.settings import Settings

ASSETS = [*reference.ASSETS, *transactions.ASSETS, *mart.ASSETS, *snapshot.ASSETS]
CHECKS = mart.WHOLE_HISTORY_CHECKS  # checks of their own; the rest are defined with their assets

reference_job = define_asset_job(
    "reference_job",
    selection=AssetSelection.assets(*reference.ASSETS),
    description="Customers and products: input files -> S3 -> RAW tables, replaced whole.",
)
transactions_job = define_asset_job(
    "transactions_job",
    selection=AssetSelection.assets(*transactions.ASSETS),
    description="One month of transactions: files -> S3 -> RAW lines -> STAGING basket items.",
)
publish_job = define_asset_job(
    "publish_job",
    selection=AssetSelection.assets(*mart.ASSETS),  # with their whole-history checks
    description="(Re)creates the purchase-count views and audits them over all of history.",
)


def build_definitions(settings: Settings, input_data: InputData | None = None) -> Definitions:
    return Definitions(
        assets=with_freshness(ASSETS),
        asset_checks=CHECKS,
        jobs=[reference_job, transactions_job, publish_job, snapshot_job, *JOBS],
        schedules=SCHEDULES,
        sensors=SENSORS,
        resources=build_resources(settings, input_data),
        # Steps run in the run's own process: each step in a process of its own
        # would pay the ~9 s import of dagster_snowflake again.
        executor=in_process_executor,
    )


defs = build_definitions(Settings.from_env())
