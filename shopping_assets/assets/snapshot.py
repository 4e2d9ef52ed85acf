"""The weekly snapshot for consumers: the view as Parquet and CSV, with a manifest.

Published to s3://BUCKET/PREFIX/exports/purchase_counts/as_of=YYYY-MM-DD/ and copied
under $SHOPPING_OUTPUT_DIR/purchase_counts/as_of=YYYY-MM-DD/. The folder is replaced
whole, so re-running a week replaces its snapshot and never adds a second one.
"""

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from shopping_assets.assets.mart import PURCHASE_COUNTS_COLUMNS
from shopping_assets.export import batches, write
from shopping_assets.resources.lake import Lake
from shopping_assets.resources.warehouse import Warehouse
from shopping_assets.retries import SERVICE_RETRY
from shopping_assets.settings import Settings

EXPORTS_FOLDER = "exports/purchase_counts/"
FILES = ("purchase_counts.parquet", "purchase_counts.csv")


def as_of(context: AssetExecutionContext) -> str:
    """The schedule's date for a scheduled run (so a re-run of a week keeps its folder), else today."""
    scheduled = context.run.tags.get("dagster/scheduled_execution_time")
    moment = datetime.fromisoformat(scheduled) if scheduled else datetime.now(timezone.utc)
    return moment.date().isoformat()


@asset(
    retry_policy=SERVICE_RETRY,
    deps=[AssetKey("purchase_counts"), AssetKey("purchase_counts_by_week"), AssetKey("purchase_counts_by_month")],
    group_name="mart",
    kinds={"s3", "parquet", "csv"},
    description=(
        "The week's snapshot of MART.PURCHASE_COUNTS for consumers: Parquet, CSV and manifest.json "
        "(row count, checksums, source partitions, generated_at) under exports/purchase_counts/as_of=YYYY-MM-DD/."
    ),
)
def purchase_counts_snapshot(context: AssetExecutionContext, warehouse: Warehouse, lake: Lake) -> MaterializeResult:
    day = as_of(context)
    with warehouse.session() as session:
        partitions = [
            str(row[0])[:7]
            for row in session.query(
                f"SELECT DISTINCT PARTITION_MONTH FROM {warehouse.table('STAGING', 'TRANSACTION_ITEMS')} ORDER BY 1"
            )
        ]
    folder = f"{EXPORTS_FOLDER}as_of={day}/"
    local = Settings.from_env().output_dir / "purchase_counts" / f"as_of={day}"
    local.mkdir(parents=True, exist_ok=True)
    rows = write(batches(warehouse, "purchase_counts"), [local / name for name in FILES])
    checksums = {name: _sha256(local / name) for name in FILES}
    manifest = {
        "as_of": day,
        "row_count": rows,
        "sha256": checksums,
        "source_partitions": partitions,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "columns": [column.lower() for column, _, _ in PURCHASE_COUNTS_COLUMNS],
    }
    (local / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    result = lake.mirror({folder + p.name: p for p in sorted(local.iterdir())}, folder)
    return MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "as_of": day,
            "uri": MetadataValue.url(lake.uri(folder)),
            "local copy": MetadataValue.path(str(local)),
            "bytes": result["bytes"],
            "source partitions": len(partitions),
        }
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


ASSETS = [purchase_counts_snapshot]
