"""The weekly snapshot for consumers: purchase counts as files, one folder per month.

s3://BUCKET/PREFIX/exports/purchase_counts_by_month/month=YYYY-MM/ holds that month's
rows of MART.PURCHASE_COUNTS_BY_MONTH as purchase_counts.parquet with _manifest.json,
and exports/purchase_counts_by_month_csv/month=YYYY-MM/ the same rows as CSV; a copy
of both goes under $SHOPPING_OUTPUT_DIR. Partitioned like the transactions, so the
weekly run rewrites the month it loaded and nothing older: the snapshot costs a
month's work however long the history. Read either root as one Hive-partitioned
dataset and sum over months for all-time counts, or pick the months of a window.
A month's folders are replaced whole, so re-running it never leaves a second copy,
and files that fail their check are not published.

A line is dated on its file's day or the next, so purchases dated in month M come
from partition M and, past midnight on the last day, from partition M-1: the
snapshot of M depends on both, and reloading M-1 makes M's stale too.
"""

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pyarrow.compute as pc
from dagster import (
    AssetCheckResult,
    AssetDep,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MetadataValue,
    TimeWindowPartitionMapping,
    asset,
)

from shopping_assets import tables
from shopping_assets.export import session_batches, write
from shopping_assets.metadata import OWNERS, code_references, code_version
from shopping_assets.partition_results import MonthResult, month_range, months_of, partitioned_check, report
from shopping_assets.partitions import backfill_policy, monthly_partitions
from shopping_assets.resources.lake import Lake
from shopping_assets.resources.warehouse import Session, Warehouse
from shopping_assets.retries import service_retry
from shopping_assets.settings import Settings

# Parquet and CSV under separate roots, so each reads as one Hive-partitioned dataset; the
# manifest's leading underscore makes dataset readers (pyarrow, Spark, DuckDB globs) skip it.
PARQUET_FOLDER = "exports/purchase_counts_by_month/"
CSV_FOLDER = "exports/purchase_counts_by_month_csv/"
MANIFEST = "_manifest.json"
# Every month's files share one schema, an empty month's too, so the folder reads as one dataset.
SCHEMA = tables.PURCHASE_COUNTS_BY_MONTH.arrow_schema()
SNAPSHOT = AssetKey("purchase_counts_snapshot")
SQL = ("mart/month_export", "mart/months_known_basket_lines")


def as_of(context: AssetExecutionContext) -> str:
    """The schedule's date for a scheduled run (a re-run of a week keeps it), else today."""
    scheduled = context.run.tags.get("dagster/scheduled_execution_time")
    moment = datetime.fromisoformat(scheduled) if scheduled else datetime.now(UTC)
    return moment.date().isoformat()


def purchase_counts_snapshot(
    context: AssetExecutionContext, warehouse: Warehouse, lake: Lake, output: Path
) -> Iterator:
    """Every month of the run's range, in one session, its months' counts to check against read at once."""
    months = months_of(context)
    with warehouse.session() as session:
        counted = session.rows("mart/months_known_basket_lines", **month_range(months))
        known = {str(month)[:10]: int(lines) for month, lines in counted}
        results = {
            month: month_snapshot(context, session, lake, output, month, known.get(month, 0)) for month in months
        }
    yield from report(context, {SNAPSHOT: results})


def month_snapshot(
    context: AssetExecutionContext, session: Session, lake: Lake, output: Path, month: str, known: int
) -> MonthResult:
    """Write one month's files, and publish them if they count the `known` basket lines dated in it."""
    where = f"month={month[:7]}/"
    parquet = output / PARQUET_FOLDER.removeprefix("exports/") / where / "purchase_counts.parquet"
    csv = output / CSV_FOLDER.removeprefix("exports/") / where / "purchase_counts.csv"
    counted = 0

    def counted_batches(batches):
        nonlocal counted
        for batch in batches:
            counted += pc.sum(batch["purchase_count"]).as_py() or 0
            yield batch

    rows = write(counted_batches(session_batches(session, "mart/month_export", SCHEMA, month=month)), [parquet, csv])
    parquet_key, csv_key = PARQUET_FOLDER + where + parquet.name, CSV_FOLDER + where + csv.name
    manifest_path = parquet.parent / MANIFEST
    manifest = {
        "month": month[:7],
        "as_of": as_of(context),
        "row_count": rows,
        "basket_lines": counted,
        "files": {
            key: {"bytes": path.stat().st_size, "sha256": _sha256(path)}
            for key, path in ((parquet_key, parquet), (csv_key, csv))
        },
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "columns": SCHEMA.names,
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    published = counted == known
    if published:  # files that fail their check stay in the local copy, never reach consumers
        lake.mirror({csv_key: csv}, CSV_FOLDER + where)
        lake.mirror({parquet_key: parquet, PARQUET_FOLDER + where + MANIFEST: manifest_path}, PARQUET_FOLDER + where)
    return MonthResult(
        {
            "dagster/partition_row_count": rows,
            "basket lines": counted,
            "published": published,
            "dagster/uri": lake.uri(PARQUET_FOLDER + where),
            "csv uri": MetadataValue.url(lake.uri(CSV_FOLDER + where)),
            "local copy": MetadataValue.path(str(parquet.parent)),
            "dagster/size_bytes": sum(file["bytes"] for file in manifest["files"].values()),
        },
        [
            AssetCheckResult(
                check_name="matches_basket_lines",
                passed=published,
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


def snapshot_asset(settings: Settings) -> AssetsDefinition:
    partitions = monthly_partitions(settings)

    @asset(
        name="purchase_counts_snapshot",
        partitions_def=partitions,
        retry_policy=service_retry(settings),
        backfill_policy=backfill_policy(settings),
        deps=[
            AssetKey("purchase_counts_by_month"),
            AssetDep("transaction_items", partition_mapping=TimeWindowPartitionMapping(start_offset=-1)),
        ],
        group_name="mart",
        kinds={"s3", "parquet", "csv"},
        description=(
            "The month's purchase counts for consumers (MART.PURCHASE_COUNTS_BY_MONTH where PERIOD_START is the "
            "month): Parquet and _manifest.json (rows, basket lines, checksums, as_of) under "
            "exports/purchase_counts_by_month/month=YYYY-MM/, CSV under exports/purchase_counts_by_month_csv/. "
            "Sum the months for all-time counts."
        ),
        owners=OWNERS,
        code_version=code_version(month_snapshot, SQL),
        metadata={
            "dagster/column_schema": tables.PURCHASE_COUNTS_BY_MONTH.column_schema(),
            "dagster/uri": f"{settings.stage_url}{PARQUET_FOLDER}",
            **code_references(month_snapshot, SQL),
        },
        check_specs=[
            partitioned_check(
                "matches_basket_lines",
                "purchase_counts_snapshot",
                "The month's files count every basket line dated in the month whose customer and product are "
                "known, once (counted from STAGING.TRANSACTION_ITEMS, pruned to the run's months and the one "
                "before).",
                partitions,
                blocking=True,
            )
        ],
    )
    def snapshot(context: AssetExecutionContext, warehouse: Warehouse, lake: Lake) -> Iterator:
        yield from purchase_counts_snapshot(context, warehouse, lake, settings.output_dir)

    return snapshot


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[snapshot_asset(Settings.from_env())])
