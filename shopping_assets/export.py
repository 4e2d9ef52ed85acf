"""Reading a warehouse table or view out to CSV or Parquet files, batch by batch.

Rows go from the connector's Arrow result batches straight into the files'
writers: no DataFrame of the whole table is built, so the pipeline's memory stays
about one batch wide however large the view grows. Every batch is cast to the
table's declared schema (`tables.py`): Snowflake types each batch of one result
with the narrowest integer that fits that batch (int8 in one, int16 in the next;
snowflake-connector-python issue 1170), and the emulator returns some aggregates
as floats, so no batch's own schema can stand for the others'.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import snowflake.connector

from shopping_assets import tables
from shopping_assets.errors import UserFacingError
from shopping_assets.resources.warehouse import Session, Warehouse

# What `shopping-pipeline export --table` accepts, and the order rows are written in.
EXPORTABLE = {
    "purchase_counts": (tables.PURCHASE_COUNTS, "CUSTOMER_ID, PRODUCT_ID"),
    "purchase_counts_by_week": (tables.PURCHASE_COUNTS_BY_WEEK, "CUSTOMER_ID, PRODUCT_ID, PERIOD_START"),
    "purchase_counts_by_month": (tables.PURCHASE_COUNTS_BY_MONTH, "CUSTOMER_ID, PRODUCT_ID, PERIOD_START"),
    "quarantine": (tables.QUARANTINE, "SOURCE, PARTITION_MONTH, SOURCE_FILE, LINE_NUMBER"),
    "customers_history": (tables.CUSTOMERS_HISTORY, "CUSTOMER_ID, VALID_FROM"),
    "products_history": (tables.PRODUCTS_HISTORY, "PRODUCT_ID, VALID_FROM"),
    # a (customer, product, period) has two rows when a value changed within the period
    "purchase_counts_by_week_as_purchased": (
        tables.PURCHASE_COUNTS_BY_WEEK_AS_PURCHASED,
        "CUSTOMER_ID, PRODUCT_ID, PERIOD_START, LOYALTY_SCORE, PRODUCT_CATEGORY",
    ),
    "purchase_counts_by_month_as_purchased": (
        tables.PURCHASE_COUNTS_BY_MONTH_AS_PURCHASED,
        "CUSTOMER_ID, PRODUCT_ID, PERIOD_START, LOYALTY_SCORE, PRODUCT_CATEGORY",
    ),
}


def conform(batch: pa.Table, schema: pa.Schema) -> pa.Table:
    """The batch with lower-case names and exactly `schema`'s types.

    Integers of any width and floats holding whole numbers become int64; a value the
    declared type cannot hold (a fraction, a number past int64) raises instead of
    being rounded. Timestamps keep microseconds.
    """
    batch = batch.rename_columns([name.lower() for name in batch.column_names]).select(schema.names)
    columns = []
    for field, column in zip(schema, batch.columns, strict=True):
        if column.type != field.type:
            column = pc.cast(column, field.type, safe=not pa.types.is_timestamp(field.type))
        columns.append(column)
    return pa.table(columns, schema=schema)


def batches(warehouse: Warehouse, table: str) -> Iterator[pa.Table]:
    """The whole table, ordered, as Arrow tables of one result batch each (at least one)."""
    if table not in EXPORTABLE:
        raise UserFacingError(f"unknown table {table!r}; choose from {', '.join(sorted(EXPORTABLE))}")
    described, order = EXPORTABLE[table]
    names = {"schema": described.schema, "name": described.name, "order": order}
    try:
        yield from sql_batches(warehouse, "export/table", described.arrow_schema(), names)
    except snowflake.connector.errors.ProgrammingError as error:
        if error.errno != 2003:  # does not exist (or is not authorised)
            raise
        raise UserFacingError(
            f"{described.schema}.{described.name} does not exist yet in {warehouse.database} (or this role may not "
            "read it): load data first (`shopping-pipeline run`, or materialise it in the UI)"
        ) from None


def sql_batches(
    warehouse: Warehouse, name: str, schema: pa.Schema, identifiers: dict[str, str] | None = None, **params: object
) -> Iterator[pa.Table]:
    """The rows of the query `sql/<name>.sql`, parameters bound, as tables of `schema` (at least one)."""
    with warehouse.session() as session:
        yield from session_batches(session, name, schema, identifiers, **params)


def session_batches(
    session: Session, name: str, schema: pa.Schema, identifiers: dict[str, str] | None = None, **params: object
) -> Iterator[pa.Table]:
    """The same, in a session already open (a step reading several results in one login)."""
    cursor = session.run(name, identifiers, **params)
    empty = True
    for batch in cursor.fetch_arrow_batches():
        empty = False
        yield conform(batch, schema)
    if empty:
        yield schema.empty_table()


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


class CsvWriter:
    """CSV as pandas and Snowflake's unload write it: a plain header, a field quoted only when it
    holds a comma, a quote or a line end (Arrow's own writer quotes every string), nulls empty."""

    NEEDS_QUOTES = r'[",\r\n]'

    def __init__(self, out: Path, schema: pa.Schema):
        self.file = out.open("wb")
        self.file.write((",".join(schema.names) + "\n").encode())

    def write_table(self, batch: pa.Table) -> None:
        if not batch.num_rows:
            return
        fields = []
        for column in batch.columns:
            text = pc.cast(column, pa.string())
            if pa.types.is_string(column.type):
                quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
                text = pc.if_else(pc.match_substring_regex(text, self.NEEDS_QUOTES), quoted, text)
            fields.append(pc.fill_null(text, ""))
        lines = pc.binary_join_element_wise(*fields, ",")
        self.file.write(("\n".join(lines.to_pylist()) + "\n").encode())

    def __enter__(self) -> CsvWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.file.close()


def _writer(out: Path, schema: pa.Schema):
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        return pq.ParquetWriter(out, schema)
    return CsvWriter(out, schema)


def export_table(warehouse: Warehouse, table: str, out: Path) -> int:
    return write(batches(warehouse, table), [out])
