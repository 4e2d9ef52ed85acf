"""Reading a warehouse table or view out to a DataFrame, a CSV or a Parquet file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from shopping_assets.resources.warehouse import Warehouse

# What `shopping-pipeline export --table` accepts: schema, object, order.
EXPORTABLE = {
    "purchase_counts": ("MART", "PURCHASE_COUNTS", "CUSTOMER_ID, PRODUCT_ID"),
    "purchase_counts_by_week": ("MART", "PURCHASE_COUNTS_BY_WEEK", "CUSTOMER_ID, PRODUCT_ID, PERIOD_START"),
    "purchase_counts_by_month": ("MART", "PURCHASE_COUNTS_BY_MONTH", "CUSTOMER_ID, PRODUCT_ID, PERIOD_START"),
    "quarantine": ("STAGING", "QUARANTINE", "SOURCE, PARTITION_MONTH, SOURCE_FILE, LINE_NUMBER"),
}


def read_table(warehouse: Warehouse, table: str) -> pd.DataFrame:
    """The whole table, ordered, with lower-case column names and whole numbers as integers."""
    if table not in EXPORTABLE:
        raise ValueError(f"unknown table {table!r}; choose from {', '.join(sorted(EXPORTABLE))}")
    schema, name, order = EXPORTABLE[table]
    with warehouse.session() as session:
        cursor = session.connection.cursor()
        cursor.execute(f"SELECT * FROM {warehouse.table(schema, name)} ORDER BY {order}")
        frame = cursor.fetch_pandas_all()
    frame.columns = [c.lower() for c in frame.columns]
    # Counts come back as floats from some aggregates on the emulator; they are whole numbers.
    for column in frame.columns:
        if frame[column].dtype.kind == "f" and (frame[column].dropna() % 1 == 0).all():
            frame[column] = frame[column].astype("Int64")
    return frame


def write_frame(frame: pd.DataFrame, out: Path) -> None:
    """Parquet when `out` ends in .parquet, CSV otherwise."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        frame.to_parquet(out, index=False)
    else:
        frame.to_csv(out, index=False)


def export_table(warehouse: Warehouse, table: str, out: Path) -> int:
    frame = read_table(warehouse, table)
    write_frame(frame, out)
    return len(frame)
