"""Customers and products: small reference tables, reloaded whole on every run.

Both follow the same three steps (input file -> S3 object -> RAW table), so one
factory builds them from a description of the table.
"""

from dataclasses import dataclass

import dagster as dg
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
)

from shopping_assets import quality, tables
from shopping_assets.errors import not_retried
from shopping_assets.metadata import definition, markdown_table
from shopping_assets.resources.input_data import InputData
from shopping_assets.resources.lake import Lake
from shopping_assets.resources.warehouse import Warehouse
from shopping_assets.retries import service_retry
from shopping_assets.settings import Settings

REFERENCE_FOLDER = "reference/"


@dataclass(frozen=True)
class ReferenceTable:
    name: str  # customers, products
    columns: tuple[str, ...]  # the CSV's columns, in order
    description: str

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def key(self) -> str:
        return f"{REFERENCE_FOLDER}{self.file_name}"

    @property
    def table(self) -> str:
        return self.name.upper()

    @property
    def raw_table(self) -> tables.Table:
        return getattr(tables, f"RAW_{self.table}")

    @property
    def checks(self) -> str:
        """STAGING view that gives each raw row its REASON (NULL when valid)."""
        return f"{self.name[:-1].upper()}_CHECKS"

    @property
    def identifiers(self) -> dict[str, str]:
        """The names its SQL files take: {table}, {columns}, {checks}, {id_column}."""
        return {
            "table": self.table,
            "columns": ", ".join(self.columns),
            "checks": self.checks,
            "id_column": self.columns[0],
        }


CUSTOMERS = ReferenceTable("customers", ("customer_id", "loyalty_score"), "customers and their loyalty score (1-10)")
PRODUCTS = ReferenceTable(
    "products",
    ("product_id", "product_description", "product_category"),
    "products with their description and category",
)


# what a reference load runs, for its code references and code version
RAW_SQL = (
    "raw/reference_stage",
    "raw/reference_copy",
    "raw/reference_replace",
    "staging/quarantine_reference_replace",
    "staging/reference_repeated_valid_ids",
    "staging/reference_ids_left_out",
    "metadata/table_bytes",
)


def reference_assets(ref: ReferenceTable, retry: RetryPolicy, database: str, stage_url: str) -> list[AssetsDefinition]:
    @asset(
        retry_policy=retry,
        name=f"{ref.name}_file",
        group_name="inputs",
        kinds={"csv"},
        description=f"`{ref.file_name}` in the input folder: {ref.description}.",
        **definition(reference_assets),
    )
    def input_file(input_data: InputData) -> MaterializeResult:
        with not_retried():
            path = input_data.reference_file(ref.file_name)
            rows = quality.check_csv(path, ref.columns)
        return MaterializeResult(
            metadata={
                "path": MetadataValue.path(str(path)),
                "bytes": path.stat().st_size,
                "dagster/row_count": rows,
            }
        )

    @asset(
        retry_policy=retry,
        name=f"{ref.name}_object",
        deps=[input_file],
        group_name="landing",
        kinds={"s3"},
        description=f"`{ref.file_name}` in the input bucket, where Snowflake's stage reads it.",
        **definition(reference_assets, uri=f"{stage_url}{ref.key}"),
    )
    def s3_object(input_data: InputData, lake: Lake) -> MaterializeResult:
        with not_retried():
            path = input_data.existing_file(ref.file_name)
        result = lake.mirror({ref.key: path}, ref.key)
        return MaterializeResult(metadata={"uri": MetadataValue.url(lake.uri(ref.key)), "bytes": result["bytes"]})

    @asset(
        retry_policy=retry,
        name=f"raw_{ref.name}",
        deps=[s3_object],
        group_name="raw",
        kinds={"snowflake"},
        description=f"RAW.{ref.table}: {ref.description}, as text, replaced whole on every load.",
        **definition(reference_assets, RAW_SQL, ref.raw_table, database),
        check_specs=[
            AssetCheckSpec(
                "unique_valid_ids",
                asset=f"raw_{ref.name}",
                blocking=True,
                description=f"Each {ref.columns[0]} appears once among the valid rows the view joins to "
                "(a duplicate would double-count purchases); duplicates in the file are listed.",
            ),
            AssetCheckSpec(
                "no_id_left_out",
                asset=f"raw_{ref.name}",
                description=f"Warns when a {ref.columns[0]} of the file has no valid row (every copy quarantined): "
                "the views leave out its purchases, past ones included, until the file is fixed. Lists them.",
            ),
        ],
    )
    def raw_table(context: AssetExecutionContext, warehouse: Warehouse, lake: Lake) -> MaterializeResult:
        names = ref.identifiers
        with warehouse.session() as session:
            session.run("raw/reference_stage", names)
            session.run("raw/reference_copy", names, files=[ref.key])
            with session.transaction():
                loaded = session.run("raw/reference_replace", names, source_file=lake.prefix + ref.key).rowcount
                quarantined = session.run("staging/quarantine_reference_replace", names, source=ref.name).rowcount
            reasons = quality.reasons(session, ref.name)
            ((repeated_valid,),) = session.rows("staging/reference_repeated_valid_ids", names)
            repeated_in_file = [str(row[0]) for row in session.rows("raw/reference_repeated_ids", names)]
            left_out = session.rows("staging/reference_ids_left_out", names)
            preview = session.rows("raw/reference_preview", names)
            size = session.size(ref.raw_table)
        context.log.info(f"RAW.{ref.table}: {loaded} rows from {ref.key}, {quarantined} quarantined")
        return MaterializeResult(
            metadata={
                "dagster/row_count": loaded,
                **size,
                "valid rows": loaded - quarantined,
                "quarantined rows": quarantined,
                "quarantine reasons": reasons,
                "table": warehouse.table("RAW", ref.table),
                "source": MetadataValue.url(f"{warehouse.stage_url}{ref.key}"),
                "preview": markdown_table(ref.columns, preview),
            },
            check_results=[
                AssetCheckResult(
                    check_name="unique_valid_ids",
                    passed=int(repeated_valid) == 0,
                    metadata={
                        "ids repeated among valid rows": int(repeated_valid),
                        "ids repeated in the file": repeated_in_file,
                    },
                ),
                AssetCheckResult(
                    check_name="no_id_left_out",
                    passed=not left_out,
                    severity=AssetCheckSeverity.WARN,
                    metadata={
                        "ids left out": len(left_out),
                        "first ids (reason)": [f"{i} ({r})" for i, r in left_out[:10]],
                    },
                ),
            ],
        )

    return [input_file, s3_object, raw_table]


TABLES = (CUSTOMERS, PRODUCTS)


@dg.definitions
def defs() -> dg.Definitions:
    settings = Settings.from_env()
    retry = service_retry(settings)
    return dg.Definitions(
        assets=[a for ref in TABLES for a in reference_assets(ref, retry, settings.database, settings.stage_url)]
    )
