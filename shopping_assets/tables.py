"""The warehouse's tables and views as data: their columns, types and what each holds.

One description serves the UI (`dagster/column_schema`), the files read out of the
warehouse (the export's and the snapshot's Arrow schemas, so every batch is cast to
one declared type whatever width Snowflake sent it in), and a test that compares it
with what the SQL in `sql/setup/` and `sql/mart/` really creates.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
from dagster import MetadataValue, TableColumn, TableSchema

ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "NUMBER": pa.int64(),  # every NUMBER here is a whole number
    "DATE": pa.date32(),
    "TIMESTAMP_NTZ": pa.timestamp("us"),
    "FLOAT": pa.float64(),
    "BOOLEAN": pa.bool_(),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    kind: str  # table or view
    columns: tuple[Column, ...]

    def qualified(self, database: str) -> str:
        return f"{database}.{self.schema}.{self.name}"

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([(c.name.lower(), ARROW_TYPES[c.type]) for c in self.columns])

    def column_schema(self) -> MetadataValue:
        return MetadataValue.table_schema(
            TableSchema(columns=[TableColumn(c.name, c.type, description=c.description) for c in self.columns])
        )


def _columns(*triples: tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*triple) for triple in triples)


_SOURCE = ("SOURCE_FILE", "VARCHAR", "the object's key in the bucket")
_LOADED = ("LOADED_AT", "TIMESTAMP_NTZ", "when the row was loaded (UTC)")
_PARTITION = ("PARTITION_MONTH", "DATE", "the month partition of the folder the line came from")
_LINE = ("LINE_NUMBER", "NUMBER", "the line's number in its file, from 1")

RAW_CUSTOMERS = Table(
    "RAW",
    "CUSTOMERS",
    "table",
    _columns(
        ("CUSTOMER_ID", "VARCHAR", "as in customers.csv"),
        ("LOYALTY_SCORE", "VARCHAR", "as in customers.csv (typed in STAGING)"),
        _SOURCE,
        _LOADED,
    ),
)
RAW_PRODUCTS = Table(
    "RAW",
    "PRODUCTS",
    "table",
    _columns(
        ("PRODUCT_ID", "VARCHAR", "as in products.csv"),
        ("PRODUCT_DESCRIPTION", "VARCHAR", "as in products.csv"),
        ("PRODUCT_CATEGORY", "VARCHAR", "as in products.csv"),
        _SOURCE,
        _LOADED,
    ),
)
RAW_TRANSACTION_LINES = Table(
    "RAW",
    "TRANSACTION_LINES",
    "table",
    _columns(
        _PARTITION,
        _SOURCE,
        _LINE,
        ("LINE", "VARCHAR", "the line, verbatim, without its line end"),
        _LOADED,
    ),
)
TRANSACTION_ITEMS = Table(
    "STAGING",
    "TRANSACTION_ITEMS",
    "table",
    _columns(
        _PARTITION,
        _SOURCE,
        _LINE,
        ("ITEM_INDEX", "NUMBER", "the basket line's position in its basket, from 0"),
        ("CUSTOMER_ID", "VARCHAR", "customer id, e.g. C1"),
        ("PRODUCT_ID", "VARCHAR", "product id, e.g. P03"),
        ("PRICE", "NUMBER", "price, a positive whole number"),
        ("PURCHASED_AT", "TIMESTAMP_NTZ", "date_of_purchase"),
    ),
)
QUARANTINE = Table(
    "STAGING",
    "QUARANTINE",
    "table",
    _columns(
        ("SOURCE", "VARCHAR", "transactions, customers or products"),
        ("PARTITION_MONTH", "DATE", "the month partition (transactions only)"),
        _SOURCE,
        ("LINE_NUMBER", "NUMBER", "the line's number in its file (transactions only)"),
        ("LINE", "VARCHAR", "the line verbatim, or a reference row's fields joined by commas"),
        ("REASON", "VARCHAR", "the first rule it breaks (docs/data-quality.md)"),
        ("QUARANTINED_AT", "TIMESTAMP_NTZ", "when it was quarantined (UTC)"),
    ),
)
STAGING_CUSTOMERS = Table(
    "STAGING",
    "CUSTOMERS",
    "view",
    _columns(
        ("CUSTOMER_ID", "VARCHAR", "customer id, e.g. C1"),
        ("LOYALTY_SCORE", "NUMBER", "the customer's loyalty score, 1-10"),
    ),
)
STAGING_PRODUCTS = Table(
    "STAGING",
    "PRODUCTS",
    "view",
    _columns(
        ("PRODUCT_ID", "VARCHAR", "product id, e.g. P03"),
        ("PRODUCT_DESCRIPTION", "VARCHAR", "what the product is"),
        ("PRODUCT_CATEGORY", "VARCHAR", "house, clothes, fruit_veg, sweets, food or bws"),
    ),
)

# Type-2 history (sql/setup/04_tables.sql): one row per version of an id's values.
_VALIDITY = (
    ("VALID_FROM", "TIMESTAMP_NTZ", "when the version took effect: its load's time, or its dated snapshot's day"),
    ("VALID_TO", "TIMESTAMP_NTZ", "when a later load changed or removed it (exclusive); empty while current"),
    ("IS_CURRENT", "BOOLEAN", "true for the id's latest version, while the file still holds it"),
    ("SOURCE_FILE", "VARCHAR", "the object the version was read from (a dated snapshot's own key)"),
    ("LOADED_AT", "TIMESTAMP_NTZ", "when the version was recorded (UTC)"),
)
CUSTOMERS_HISTORY = Table(
    "STAGING",
    "CUSTOMERS_HISTORY",
    "table",
    _columns(
        ("CUSTOMER_ID", "VARCHAR", "customer id, e.g. C1"),
        ("LOYALTY_SCORE", "NUMBER", "the loyalty score this version held, 1-10"),
        *_VALIDITY,
    ),
)
PRODUCTS_HISTORY = Table(
    "STAGING",
    "PRODUCTS_HISTORY",
    "table",
    _columns(
        ("PRODUCT_ID", "VARCHAR", "product id, e.g. P03"),
        ("PRODUCT_DESCRIPTION", "VARCHAR", "the description this version held"),
        ("PRODUCT_CATEGORY", "VARCHAR", "the category this version held"),
        *_VALIDITY,
    ),
)
REFERENCE_LOADS = Table(
    "STAGING",
    "REFERENCE_LOADS",
    "table",
    _columns(
        ("SOURCE", "VARCHAR", "customers or products"),
        ("AS_OF", "TIMESTAMP_NTZ", "the moment the load describes: its time, or its dated snapshot's day"),
        ("DATED", "BOOLEAN", "true for a dated snapshot (reference/d=YYYY-MM-DD/)"),
        _SOURCE,
        ("DIGEST", "VARCHAR", "SHA-256 of a dated snapshot's file"),
        ("VALID_ROWS", "NUMBER", "the file's valid rows"),
        ("OPENED", "NUMBER", "versions the load opened"),
        ("CLOSED", "NUMBER", "versions the load closed"),
        _LOADED,
    ),
)

_COUNT_KEYS = (
    ("CUSTOMER_ID", "VARCHAR", "customer id, e.g. C1"),
    ("LOYALTY_SCORE", "NUMBER", "the customer's loyalty score, 1-10"),
    ("PRODUCT_ID", "VARCHAR", "product id, e.g. P03"),
    ("PRODUCT_CATEGORY", "VARCHAR", "house, clothes, fruit_veg, sweets, food or bws"),
)
_COUNT = (
    "PURCHASE_COUNT",
    "NUMBER",
    "basket lines of this product bought by this customer (twice in a basket counts 2)",
)
PURCHASE_COUNTS = Table("MART", "PURCHASE_COUNTS", "view", _columns(*_COUNT_KEYS, _COUNT))


def purchase_counts_by(period: str) -> Table:
    """MART.PURCHASE_COUNTS_BY_WEEK or _BY_MONTH."""
    start = ("PERIOD_START", "DATE", f"first day of the {period.lower()}" + (" (a Monday)" if period == "WEEK" else ""))
    return Table("MART", f"PURCHASE_COUNTS_BY_{period}", "view", _columns(*_COUNT_KEYS, start, _COUNT))


PURCHASE_COUNTS_BY_WEEK = purchase_counts_by("WEEK")
PURCHASE_COUNTS_BY_MONTH = purchase_counts_by("MONTH")

# Rewritten whole from a DataFrame by the pandas IO manager (bootstrap creates it).
WEEKLY_SUMMARY = Table(
    "MART",
    "WEEKLY_SUMMARY",
    "table",
    _columns(
        ("PERIOD_START", "DATE", "first day of the week (a Monday)"),
        ("ISO_WEEK", "VARCHAR", "the ISO week, e.g. 2024-W05"),
        ("CUSTOMERS", "NUMBER", "customers who bought in the week"),
        ("PRODUCTS", "NUMBER", "products bought in the week"),
        ("PURCHASES", "NUMBER", "basket lines bought in the week (twice in a basket counts 2)"),
        ("PURCHASES_PER_CUSTOMER", "FLOAT", "PURCHASES / CUSTOMERS, to 2 decimals"),
    ),
)


def purchase_counts_as_purchased(period: str) -> Table:
    """MART.PURCHASE_COUNTS_BY_WEEK_AS_PURCHASED or _BY_MONTH_AS_PURCHASED: the period view's
    columns, with the score and category valid at each purchase."""
    current = purchase_counts_by(period)
    as_purchased = {
        "LOYALTY_SCORE": "the customer's loyalty score when they bought, 1-10",
        "PRODUCT_CATEGORY": "the product's category when it was bought",
    }
    columns = tuple(Column(c.name, c.type, as_purchased.get(c.name, c.description)) for c in current.columns)
    return Table("MART", f"{current.name}_AS_PURCHASED", "view", columns)


PURCHASE_COUNTS_BY_WEEK_AS_PURCHASED = purchase_counts_as_purchased("WEEK")
PURCHASE_COUNTS_BY_MONTH_AS_PURCHASED = purchase_counts_as_purchased("MONTH")

ALL = (
    RAW_CUSTOMERS,
    RAW_PRODUCTS,
    RAW_TRANSACTION_LINES,
    TRANSACTION_ITEMS,
    QUARANTINE,
    STAGING_CUSTOMERS,
    STAGING_PRODUCTS,
    PURCHASE_COUNTS,
    PURCHASE_COUNTS_BY_WEEK,
    PURCHASE_COUNTS_BY_MONTH,
    WEEKLY_SUMMARY,
    CUSTOMERS_HISTORY,
    PRODUCTS_HISTORY,
    REFERENCE_LOADS,
    PURCHASE_COUNTS_BY_WEEK_AS_PURCHASED,
    PURCHASE_COUNTS_BY_MONTH_AS_PURCHASED,
)
