"""RAW.TRANSACTION_LINES: every line of the months' objects, verbatim, by one COPY naming their files."""

from collections.abc import Iterator, Mapping

from dagster import AssetCheckResult, AssetExecutionContext, AssetKey, AssetRecordsFilter

from shopping_assets import tables
from shopping_assets.defs.transactions.files import OBJECTS
from shopping_assets.partition_results import MonthResult, month_range, months_of, report
from shopping_assets.partitions import month_at, month_folder
from shopping_assets.resources.lake import Lake, objects_digest
from shopping_assets.resources.warehouse import Warehouse

RAW_LINES = AssetKey("raw_transaction_lines")
LINES = {"lines": "TRANSACTION_LINES"}  # the table the line SQL reads and writes (doctor passes its scratch copy)
COPY_FILES_MAX = 1000  # Snowflake's limit on the files one COPY may name
SQL = (
    "raw/transaction_lines_stage",
    "raw/transaction_lines_copy",
    "raw/transaction_lines_replace",
    "metadata/table_bytes",
)


def _lines_in_files(context: AssetExecutionContext, lake: Lake, month: str, objects: Mapping[str, str]) -> tuple:
    """(lines in the month's objects, counted outside the warehouse; where they were counted).

    transaction_objects counted its local files as it uploaded them; that count holds
    while the bucket still has exactly those objects. Objects written or changed in the
    bucket since (an upstream system, the bucket sensor's case) are read and counted.
    """
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=OBJECTS, asset_partitions=[month]), limit=1
    ).records
    uploaded = records[0].asset_materialization.metadata if records else {}
    digest, lines = uploaded.get("objects digest"), uploaded.get("lines")
    if digest and lines and digest.value == objects_digest(objects):
        return lines.value, "transaction_objects' upload"
    return lake.count_lines(sorted(objects)), "the bucket"


def raw_transaction_lines(context: AssetExecutionContext, lake: Lake, warehouse: Warehouse) -> Iterator:
    months = months_of(context)
    client = lake.client()
    objects = {month: lake.list_keys(client, month_folder(month)) for month in months}
    files = sorted(key for listed in objects.values() for key in listed)
    with warehouse.session() as session:
        session.run("raw/transaction_lines_stage")
        for start in range(0, len(files), COPY_FILES_MAX):
            session.run("raw/transaction_lines_copy", files=files[start : start + COPY_FILES_MAX])
        with session.transaction():
            session.run("raw/transaction_lines_replace", LINES, month_at=month_at(lake.prefix), **month_range(months))
        versions = session.rows("staging/raw_lines_version", **month_range(months))
        loaded = {str(month)[:10]: int(count) for month, count, _ in versions}
        [[total]] = session.rows("raw/transaction_lines_total")
        size = session.size(tables.RAW_TRANSACTION_LINES)
    results = {}
    for month in months:
        lines = loaded.get(month, 0)
        expected, counted_in = _lines_in_files(context, lake, month, objects[month])
        results[month] = MonthResult(
            {"dagster/partition_row_count": lines, "files": len(objects[month])},
            [
                AssetCheckResult(
                    check_name="lines_match_files",
                    passed=expected == lines,
                    metadata={"lines in RAW": lines, "lines in the files": expected, "files counted in": counted_in},
                )
            ],
        )
    context.log.info(f"{months[0][:7]}..{months[-1][:7]}: {sum(loaded.values())} lines from {len(files)} files")
    yield from report(context, {RAW_LINES: results}, {RAW_LINES: {"dagster/row_count": int(total), **size}})
