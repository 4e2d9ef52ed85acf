"""Transactions, one month partition at a time: files -> S3 -> RAW lines -> basket items.

Every step replaces exactly its partition, so re-running a month any number of
times leaves the same objects and rows.
"""


from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from shopping_assets.partitions import MONTHLY, day_key, month_folder
from shopping_assets.resources.input_data import InputData
from shopping_assets.resources.lake import Lake
from shopping_assets.resources.warehouse import Warehouse


@asset(
    partitions_def=MONTHLY,
    group_name="inputs",
    kinds={"json"},
    description="The month's daily JSON Lines files, transactions/d=YYYY-MM-DD/transactions.json.",
)
def transaction_files(context: AssetExecutionContext, input_data: InputData) -> MaterializeResult:
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


@asset(
    partitions_def=MONTHLY,
    deps=[transaction_files],
    group_name="landing",
    kinds={"s3"},
    description="The month's files in the input bucket under transactions/YYYY/MM/, one object per day.",
)
def transaction_objects(context: AssetExecutionContext, input_data: InputData, lake: Lake) -> MaterializeResult:
    files = {day_key(day): path for day, path in input_data.existing_month_files(context.partition_key).items()}
    folder = month_folder(context.partition_key)
    result = lake.mirror(files, folder)
    return MaterializeResult(
        metadata={
            "objects": result["uploaded"],
            "stale objects deleted": result["deleted"],
            "bytes": result["bytes"],
            "prefix": MetadataValue.url(lake.uri(folder)),
        }
    )


@asset(
    partitions_def=MONTHLY,
    deps=[transaction_objects],
    group_name="raw",
    kinds={"snowflake"},
    description=(
        "RAW.TRANSACTION_LINES: every line of the month's files, verbatim, with its file and line number. "
        "Loaded by COPY INTO from the stage, naming the month's files."
    ),
)
def raw_transaction_lines(context: AssetExecutionContext, lake: Lake, warehouse: Warehouse) -> MaterializeResult:
    folder = month_folder(context.partition_key)
    files = sorted(lake.list_keys(lake.client(), folder))
    with warehouse.session() as session:
        session.run("raw/transaction_lines_stage")
        if files:
            session.run("raw/transaction_lines_copy", files=files)
        with session.transaction():
            lines = session.run("raw/transaction_lines_replace", month=context.partition_key).rowcount
    context.log.info(f"{context.partition_key}: {lines} lines from {len(files)} files")
    return MaterializeResult(
        metadata={
            "dagster/row_count": lines,
            "files": len(files),
            "table": warehouse.table("RAW", "TRANSACTION_LINES"),
        }
    )


@asset(
    partitions_def=MONTHLY,
    deps=[raw_transaction_lines],
    group_name="staging",
    kinds={"snowflake"},
    description=(
        "STAGING.TRANSACTION_ITEMS: one row per basket line (customer, product, price, purchase time) "
        "of the month's well-formed transactions."
    ),
)
def transaction_items(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    with warehouse.session() as session:
        with session.transaction():
            items = session.run("staging/transaction_items_replace", month=context.partition_key).rowcount
    return MaterializeResult(
        metadata={"dagster/row_count": items, "table": warehouse.table("STAGING", "TRANSACTION_ITEMS")}
    )


ASSETS = [transaction_files, transaction_objects, raw_transaction_lines, transaction_items]
