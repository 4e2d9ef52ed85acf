"""Reading a warehouse table or view out to a CSV or Parquet file."""

from __future__ import annotations

from pathlib import Path

from shopping_assets.resources.warehouse import Warehouse

# What `shopping-pipeline export --table` accepts, and where each lives.
EXPORTABLE = {
    "purchase_counts": ("MART", "PURCHASE_COUNTS", "CUSTOMER_ID, PRODUCT_ID"),
    "quarantine": ("STAGING", "QUARANTINE", "SOURCE, PARTITION_MONTH, SOURCE_FILE, LINE_NUMBER"),
}


def export_table(warehouse: Warehouse, table: str, out: Path) -> int:
    """Write `table` to `out` (.parquet for Parquet, anything else CSV); return the row count."""
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
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        frame.to_parquet(out, index=False)
    else:
        frame.to_csv(out, index=False)
    return len(frame)
