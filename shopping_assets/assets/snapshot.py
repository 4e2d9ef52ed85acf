"""The weekly snapshot for consumers: purchase counts as files, one folder per month.

s3://BUCKET/PREFIX/exports/purchase_counts_by_month/month=YYYY-MM/ holds that month's
rows of MART.PURCHASE_COUNTS_BY_MONTH as Parquet and CSV, with a manifest, and a copy
goes under $SHOPPING_OUTPUT_DIR/purchase_counts_by_month/month=YYYY-MM/. Partitioned
like the transactions, so the weekly run rewrites the month it loaded and nothing
older: the snapshot costs a month's work however long the history. Read the folder
as one (Hive-partitioned) dataset and sum over months for all-time counts, or pick
the months of a window. A month's folder is replaced whole, so re-running it never
leaves a second copy.

A line is dated on its file's day or the next, so purchases dated in month M come
from partition M and, past midnight on the last day, from partition M-1: the
snapshot of M depends on both, and reloading M-1 makes M's stale too.
"""

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.compute as pc
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetDep,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    TimeWindowPartitionMapping,
    asset,
)

from shopping_assets.assets.mart import by_month, period_columns
from shopping_assets.export import sql_batches, write
from shopping_assets.metadata import column_schema
from shopping_assets.partitions import MONTHLY
from shopping_assets.resources.lake import Lake
from shopping_assets.resources.warehouse import Warehouse
from shopping_assets.retries import SERVICE_RETRY
from shopping_assets.settings import Settings

EXPORTS_FOLDER = "exports/purchase_counts_by_month/"
FILES = ("purchase_counts.parquet", "purchase_counts.csv")


def as_of(context: AssetExecutionContext) -> str:
    """The schedule's date for a scheduled run (a re-run of a week keeps it), else today."""
    scheduled = context.run.tags.get("dagster/scheduled_execution_time")
    moment = datetime.fromisoformat(scheduled) if scheduled else datetime.now(timezone.utc)
    return moment.date().isoformat()


@asset(
    partitions_def=MONTHLY,
    retry_policy=SERVICE_RETRY,
    deps=[by_month, AssetDep("transaction_items", partition_mapping=TimeWindowPartitionMapping(start_offset=-1))],
    group_name="mart",
    kinds={"s3", "parquet", "csv"},
    description=(
        "The month's purchase counts for consumers (MART.PURCHASE_COUNTS_BY_MONTH where PERIOD_START is the "
        "month): Parquet, CSV and manifest.json (rows, basket lines, checksums, as_of) under "
        "exports/purchase_counts_by_month/month=YYYY-MM/. Sum the months for all-time counts."
    ),
    metadata={"dagster/column_schema": column_schema(period_columns())},
    check_specs=[
        AssetCheckSpec(
            "matches_basket_lines",
            asset="purchase_counts_snapshot",
            blocking=True,
            description=(
                "The month's files count every basket line dated in the month whose customer and product are "
                "known, once (counted from STAGING.TRANSACTION_ITEMS, pruned to the month's two partitions)."
            ),
        )
    ],
)
def purchase_counts_snapshot(context: AssetExecutionContext, warehouse: Warehouse, lake: Lake) -> MaterializeResult:
    month = context.partition_key
    folder = f"{EXPORTS_FOLDER}month={month[:7]}/"
    local = Settings.from_env().output_dir / "purchase_counts_by_month" / f"month={month[:7]}"
    counted = 0

    def counting(batches):
        nonlocal counted
        for batch in batches:
            if batch.num_rows:
                counted += pc.sum(batch["purchase_count"]).as_py()
            yield batch

    rows = write(counting(sql_batches(warehouse, "mart/month_export", month=month)), [local / n for n in FILES])
    with warehouse.session() as session:
        known = int(session.rows("mart/month_known_basket_lines", month=month)[0][0])
    manifest = {
        "month": month[:7],
        "as_of": as_of(context),
        "row_count": rows,
        "basket_lines": counted,
        "sha256": {name: _sha256(local / name) for name in FILES},
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "columns": [column.lower() for column, _, _ in period_columns()],
    }
    (local / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    result = lake.mirror({folder + p.name: p for p in sorted(local.iterdir())}, folder)
    return MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "basket lines": counted,
            "uri": MetadataValue.url(lake.uri(folder)),
            "local copy": MetadataValue.path(str(local)),
            "bytes": result["bytes"],
        },
        check_results=[
            AssetCheckResult(
                check_name="matches_basket_lines",
                passed=counted == known,
                metadata={"basket lines in the files": counted, "known basket lines dated in the month": known},
            )
        ],
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


ASSETS = [purchase_counts_snapshot]
