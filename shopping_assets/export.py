"""Reading a warehouse table or view out to CSV or Parquet files, batch by batch.

Rows go from the connector's Arrow result batches straight into the files'
writers: no DataFrame of the whole table is built, so the pipeline's memory stays
about one batch wide however large the view grows (on Snowflake, result chunks
stream; the emulator sends one result, still never converted to pandas).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from shopping_assets.errors import UserFacingError
from shopping_assets.resources.warehouse import Warehouse

# What `shopping-pipeline export --table` accepts: schema, object, order.
EXPORTABLE = {
    "purchase_counts": ("MART", "PURCHASE_COUNTS", "CUSTOMER_ID, PRODUCT_ID"),
    "purchase_counts_by_week": ("MART", "PURCHASE_COUNTS_BY_WEEK", "CUSTOMER_ID, PRODUCT_ID, PERIOD_START"),
    "purchase_counts_by_month": ("MART", "PURCHASE_COUNTS_BY_MONTH", "CUSTOMER_ID, PRODUCT_ID, PERIOD_START"),
    "quarantine": ("STAGING", "QUARANTINE", "SOURCE, PARTITION_MONTH, SOURCE_FILE, LINE_NUMBER"),
}


def _whole_numbers(batch: pa.Table) -> pa.Table:
    """Lower-case names; float columns holding only whole numbers as int64 (the emulator
    returns some aggregates, e.g. SUM of counts, as floats)."""
    columns = []
    for column in batch.columns:
        if pa.types.is_floating(column.type):
            valid = pc.drop_null(column)
            if pc.all(pc.equal(valid, pc.floor(valid))).as_py() in (True, None):
                column = pc.cast(column, pa.int64())
        columns.append(column)
    return pa.table(columns, names=[name.lower() for name in batch.column_names])


def batches(warehouse: Warehouse, table: str) -> Iterator[pa.Table]:
    """The whole table, ordered, as Arrow tables of one result batch each (at least one)."""
    if table not in EXPORTABLE:
        raise UserFacingError(f"unknown table {table!r}; choose from {', '.join(sorted(EXPORTABLE))}")
    schema, name, order = EXPORTABLE[table]
    with warehouse.session() as session:
        cursor = session.connection.cursor()
        cursor.execute(f"SELECT * FROM {warehouse.table(schema, name)} ORDER BY {order}")
        yield from _arrow(cursor)


def sql_batches(warehouse: Warehouse, name: str, **params: object) -> Iterator[pa.Table]:
    """The rows of the query `sql/<name>.sql`, parameters bound, as `batches` gives them."""
    with warehouse.session() as session:
        yield from _arrow(session.run(name, **params))


def _arrow(cursor) -> Iterator[pa.Table]:
    first = None
    for batch in cursor.fetch_arrow_batches():
        batch = _whole_numbers(batch)
        if first is None:
            first = batch.schema
        # one schema for every batch (a cast that would lose digits raises)
        yield batch.cast(first)
    if first is None:
        yield pa.table({column[0].lower(): pa.array([], pa.string()) for column in cursor.description})


def write(batches_: Iterator[pa.Table], outs: Sequence[Path]) -> int:
    """Write every batch to each file (Parquet when it ends in .parquet, else CSV); returns rows."""
    rows = 0
    with ExitStack() as stack:
        writers = None
        for batch in batches_:
            if writers is None:
                writers = [stack.enter_context(_writer(out, batch.schema)) for out in outs]
            for writer in writers:
                writer.write_table(batch)
            rows += batch.num_rows
    return rows


def _writer(out: Path, schema: pa.Schema):
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        return pq.ParquetWriter(out, schema)
    return pa_csv.CSVWriter(out, schema, write_options=pa_csv.WriteOptions(quoting_style="needed"))


def export_table(warehouse: Warehouse, table: str, out: Path) -> int:
    return write(batches(warehouse, table), [out])
