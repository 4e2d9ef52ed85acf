"""The month's input files, and their mirror in the bucket (transactions/YYYY/MM/YYYY-MM-DD.json)."""

from collections.abc import Iterator

from dagster import AssetExecutionContext, AssetKey, MetadataValue

from shopping_assets import quality
from shopping_assets.errors import not_retried
from shopping_assets.partition_results import MonthResult, months_of, report
from shopping_assets.partitions import day_key, month_folder
from shopping_assets.resources.input_data import InputData
from shopping_assets.resources.lake import Lake

FILES, OBJECTS = AssetKey("transaction_files"), AssetKey("transaction_objects")


def transaction_files(context: AssetExecutionContext, input_data: InputData) -> Iterator:
    results = {}
    for month in months_of(context):
        with not_retried():
            sizes = [path.stat().st_size for path in input_data.month_files(month).values()]
        empty = sum(1 for size in sizes if size == 0)
        results[month] = MonthResult({"files": len(sizes), "empty files": empty, "dagster/size_bytes": sum(sizes)})
    yield from report(
        context, {FILES: results}, {FILES: {"folder": MetadataValue.path(str(input_data.root / "transactions"))}}
    )


def transaction_objects(context: AssetExecutionContext, input_data: InputData, lake: Lake) -> Iterator:
    results = {}
    for month in months_of(context):
        with not_retried():
            files = {day_key(day): path for day, path in input_data.existing_month_files(month).items()}
        folder = month_folder(month)
        mirrored = lake.mirror(files, folder)
        results[month] = MonthResult(
            {
                "objects": mirrored["uploaded"],
                "stale objects deleted": mirrored["deleted"],
                "dagster/size_bytes": mirrored["bytes"],
                # counted here, independently of the warehouse, for the reconciliation check
                "lines": sum(quality.count_lines(path) for path in files.values()),
                # what the bucket held after this upload: raw_transaction_lines trusts "lines" only while it still does
                "objects digest": mirrored["digest"],
                "dagster/uri": lake.uri(folder),
            }
        )
    yield from report(context, {OBJECTS: results})
