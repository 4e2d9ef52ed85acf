"""Transactions, one month partition at a time: files -> S3 -> RAW lines -> basket items.

Every step replaces exactly its partition, so re-running a month any number of
times leaves the same objects and rows. Every input line ends up either loaded
(STAGING.TRANSACTION_ITEMS) or quarantined (STAGING.QUARANTINE), and checks on
each step prove it.
"""

import json
from collections.abc import Mapping

import dagster as dg
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetRecordsFilter,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from shopping_assets import quality
from shopping_assets.errors import not_retried
from shopping_assets.partitions import day_key, month_folder, monthly_partitions
from shopping_assets.resources.input_data import InputData
from shopping_assets.resources.lake import Lake, objects_digest
from shopping_assets.resources.warehouse import Warehouse
from shopping_assets.retries import service_retry
from shopping_assets.settings import Settings

QUARANTINE_FOLDER = "quarantine/transactions/"
LINES = {"lines": "TRANSACTION_LINES"}  # the table the line SQL reads and writes (doctor passes its scratch copy)


def transaction_files(context: AssetExecutionContext, input_data: InputData) -> MaterializeResult:
    with not_retried():
        files = input_data.month_files(context.partition_key)
    sizes = [path.stat().st_size for path in files.values()]
    return MaterializeResult(
        metadata={
            "files": len(files),
            "empty files": sum(1 for size in sizes if size == 0),
            "bytes": sum(sizes),
            "folder": MetadataValue.path(str(input_data.root / "transactions")),
        }
    )


def transaction_objects(context: AssetExecutionContext, input_data: InputData, lake: Lake) -> MaterializeResult:
    with not_retried():
        days = input_data.existing_month_files(context.partition_key)
    files = {day_key(day): path for day, path in days.items()}
    folder = month_folder(context.partition_key)
    result = lake.mirror(files, folder)
    return MaterializeResult(
        metadata={
            "objects": result["uploaded"],
            "stale objects deleted": result["deleted"],
            "bytes": result["bytes"],
            # counted here, independently of the warehouse, for the reconciliation check
            "lines": sum(quality.count_lines(path) for path in files.values()),
            # what the bucket held after this upload: raw_transaction_lines trusts "lines" only while it still does
            "objects digest": result["digest"],
            "prefix": MetadataValue.url(lake.uri(folder)),
        }
    )


def _lines_in_files(context: AssetExecutionContext, lake: Lake, objects: Mapping[str, str]) -> tuple[int, str]:
    """(lines in the month's objects, counted outside the warehouse; where they were counted).

    transaction_objects counted its local files as it uploaded them; that count holds
    while the bucket still has exactly those objects. Objects written or changed in the
    bucket since (an upstream system, the bucket sensor's case) are read and counted.
    """
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey("transaction_objects"), asset_partitions=[context.partition_key]),
        limit=1,
    ).records
    uploaded = records[0].asset_materialization.metadata if records else {}
    digest, lines = uploaded.get("objects digest"), uploaded.get("lines")
    if digest and lines and digest.value == objects_digest(objects):
        return lines.value, "transaction_objects' upload"
    return lake.count_lines(sorted(objects)), "the bucket"


def raw_transaction_lines(context: AssetExecutionContext, lake: Lake, warehouse: Warehouse) -> MaterializeResult:
    folder = month_folder(context.partition_key)
    objects = lake.list_keys(lake.client(), folder)
    files = sorted(objects)
    with warehouse.session() as session:
        session.run("raw/transaction_lines_stage")
        if files:
            session.run("raw/transaction_lines_copy", files=files)
        with session.transaction():
            lines = session.run("raw/transaction_lines_replace", LINES, month=context.partition_key).rowcount
    expected, counted_in = _lines_in_files(context, lake, objects)
    context.log.info(f"{context.partition_key}: {lines} lines from {len(files)} files")
    return MaterializeResult(
        metadata={
            "dagster/row_count": lines,
            "files": len(files),
            "table": warehouse.table("RAW", "TRANSACTION_LINES"),
        },
        check_results=[
            AssetCheckResult(
                check_name="lines_match_files",
                passed=expected == lines,
                metadata={"lines in RAW": lines, "lines in the files": expected, "files counted in": counted_in},
            )
        ],
    )


def transaction_items(
    context: AssetExecutionContext, warehouse: Warehouse, lake: Lake, warn_rate: float, max_rate: float
) -> MaterializeResult:
    month = context.partition_key
    with warehouse.session() as session:
        # read first: a reload between this and the classification only costs a retry
        classified = session.rows("staging/raw_lines_version", month=month)
        session.run("staging/transaction_line_checks", LINES, month=month)
        with session.transaction():
            if session.rows("staging/raw_lines_version", month=month) != classified:
                raise RawLinesReloaded(
                    f"RAW.TRANSACTION_LINES for {month[:7]} was reloaded by another run while this one "
                    "classified it; the step's retry classifies the new lines"
                )
            items = session.run("staging/transaction_items_replace", month=month).rowcount
            session.run("staging/quarantine_transactions_replace", month=month)
        [counts] = session.rows("staging/transaction_items_counts", month=month)
        reasons = quality.reasons(session, "transactions", month)
        examples = session.rows("staging/quarantined_transaction_lines", month=month)
        orphans = _unknown_ids(session.rows("staging/transaction_items_unknown", month=month))
    quarantine_uri = _write_quarantine_file(lake, month, examples)
    raw, loaded, quarantined, invalid = (int(count) for count in counts)
    passed, severity, rate = quality.quarantine_severity(quarantined, raw, warn_rate, max_rate)
    sample = [{"file": f, "line": int(n), "reason": r} for f, n, r, _ in examples[:5]]
    context.log.info(f"{month}: {raw} lines = {loaded} loaded + {quarantined} quarantined; {items} basket lines")
    return MaterializeResult(
        metadata={
            "dagster/row_count": items,
            "input lines": raw,
            "loaded lines": loaded,
            "quarantined lines": quarantined,
            "quarantine reasons": reasons,
            "quarantine file": MetadataValue.url(quarantine_uri),
            "table": warehouse.table("STAGING", "TRANSACTION_ITEMS"),
        },
        check_results=[
            AssetCheckResult(
                check_name="lines_accounted_for",
                passed=raw == loaded + quarantined,
                metadata={"input lines": raw, "loaded": loaded, "quarantined": quarantined},
            ),
            AssetCheckResult(
                check_name="quarantine_rate",
                passed=passed,
                severity=severity,
                metadata={"rate": round(rate, 6), "quarantined": quarantined, "reasons": reasons, "examples": sample},
            ),
            AssetCheckResult(
                check_name="valid_prices_and_dates",
                passed=invalid == 0,
                metadata={"invalid basket lines": invalid},
            ),
            AssetCheckResult(
                check_name="known_customers_and_products",
                passed=orphans["count"] == 0,
                severity=AssetCheckSeverity.WARN,
                metadata=orphans,
            ),
        ],
    )


class RawLinesReloaded(RuntimeError):
    """Writing this classification would replace a newer run's items with older ones."""


def _unknown_ids(rows: list[tuple]) -> dict:
    """The check's metadata from sql/staging/transaction_items_unknown.sql's (kind, id, basket lines), ids sorted."""
    return {
        "count": sum(int(count) for *_, count in rows),
        "unknown customers": [str(value) for kind, value, _ in rows if kind == "customers"],
        "unknown products": [str(value) for kind, value, _ in rows if kind == "products"],
    }


def _write_quarantine_file(lake: Lake, month: str, rows: list[tuple]) -> str:
    """The partition's quarantine as JSON Lines in the bucket, replaced with the partition."""
    key = f"{QUARANTINE_FOLDER}{month[:4]}/{month[5:7]}/quarantine.jsonl"
    body = "".join(
        json.dumps({"source_file": f, "line_number": int(n), "reason": r, "line": text}) + "\n"
        for f, n, r, text in rows
    )
    lake.client().put_object(Bucket=lake.bucket, Key=lake.prefix + key, Body=body.encode())
    return lake.uri(key)


def transaction_assets(settings: Settings) -> list[AssetsDefinition]:
    """The chain's four monthly assets, partitioned and retried as the settings say."""
    common = {"partitions_def": monthly_partitions(settings), "retry_policy": service_retry(settings)}
    files = asset(
        name="transaction_files",
        group_name="inputs",
        kinds={"json"},
        description="The month's daily JSON Lines files, transactions/d=YYYY-MM-DD/transactions.json.",
        **common,
    )(transaction_files)
    objects = asset(
        name="transaction_objects",
        deps=[files],
        group_name="landing",
        kinds={"s3"},
        description="The month's files in the input bucket under transactions/YYYY/MM/, one object per day.",
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
            AssetCheckSpec(
                "lines_match_files",
                asset="raw_transaction_lines",
                blocking=True,
                description="RAW holds exactly as many lines as the month's files in the bucket have.",
            )
        ],
        **common,
    )(raw_transaction_lines)

    @asset(
        name="transaction_items",
        deps=[lines, AssetKey("raw_customers"), AssetKey("raw_products")],
        group_name="staging",
        kinds={"snowflake"},
        description=(
            "STAGING.TRANSACTION_ITEMS: one row per basket line (customer, product, price, purchase time) "
            "of the month's valid transactions; every other line goes to STAGING.QUARANTINE with its reason "
            "(and to quarantine/transactions/YYYY/MM/quarantine.jsonl in the bucket)."
        ),
        check_specs=ITEM_CHECKS,
        **common,
    )
    def items(context: AssetExecutionContext, warehouse: Warehouse, lake: Lake) -> MaterializeResult:
        return transaction_items(context, warehouse, lake, settings.quarantine_warn_rate, settings.quarantine_max_rate)

    return [files, objects, lines, items]


ITEM_CHECKS = [
    AssetCheckSpec(
        "lines_accounted_for",
        asset="transaction_items",
        blocking=True,
        description="Raw lines = loaded lines + quarantined lines.",
    ),
    AssetCheckSpec(
        "quarantine_rate",
        asset="transaction_items",
        blocking=True,
        description="Quarantined share of lines: warns above SHOPPING_QUARANTINE_WARN_RATE, "
        "fails above SHOPPING_QUARANTINE_MAX_RATE.",
    ),
    AssetCheckSpec(
        "valid_prices_and_dates",
        asset="transaction_items",
        blocking=True,
        description="Loaded prices are positive integers; purchase dates are the file's day or the next.",
    ),
    AssetCheckSpec(
        "known_customers_and_products",
        asset="transaction_items",
        description="Basket lines whose customer or product is not in the reference tables "
        "(loaded, but left out of the view).",
    ),
]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=transaction_assets(Settings.from_env()))
