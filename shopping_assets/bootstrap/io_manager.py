"""What SnowflakePandasIOManager runs, declared for `bootstrap --audit`.

Its statements are built in library code, not read from sql/, so they are declared here:
as Snowflake runs them for one write and one read of an asset the IO manager keeps in
MART, with the connector's bound names (IDENTIFIER(?), ?) filled in. Taken from the
sources of dagster-snowflake 0.29.27 (snowflake_io_manager.py, SnowflakeDbClient),
dagster-snowflake-pandas 0.29.27 (snowflake_pandas_type_handler.py) and
snowflake-connector-python 4.8.1 (pandas_tools.py, write_pandas as the handler calls it:
auto_create_table=True, use_logical_type=True, quote_identifiers=True, no overwrite, so
no DROP, RENAME or TRUNCATE). write_pandas names its stage and file format at random per
call; here they are fixed. A test checks these against what a materialisation sends
(shopping_assets_tests/test_weekly_summary.py), so a library upgrade that sends something
new fails there before it fails in production.
"""

from __future__ import annotations

from shopping_assets import tables
from shopping_assets.tables import Table

# The tables the IO manager writes, each from the asset of its name.
WRITTEN = (tables.WEEKLY_SUMMARY,)
STAGE = "SNOWPARK_TEMP_STAGE_PROBE"
FILE_FORMAT = "SNOWPARK_TEMP_FILE_FORMAT_PROBE"

_STAGED = '"{database}"."{schema}"."' + STAGE + '"'
_FORMAT = '"{database}"."{schema}"."' + FILE_FORMAT + '"'
_TABLE = '"{database}"."{schema}"."{table}"'

# (where in the libraries, the statement as Snowflake runs it); dagster names the table as
# the asset ({asset}, lower case), write_pandas upper-cases it ({table})
STATEMENTS = (
    (
        "dagster_snowflake: SnowflakeDbClient.ensure_schema_exists",
        "SHOW SCHEMAS LIKE '{schema}' IN DATABASE {database}",
    ),
    ("dagster_snowflake: SnowflakeDbClient.delete_table_slice", "DELETE FROM {database}.{schema}.{asset}"),
    ("dagster_snowflake_pandas: _table_exists", "SHOW TABLES LIKE '{asset}' IN SCHEMA {database}.{schema}"),
    # sent unqualified, in the session's schema: the IO manager's connection opens in {schema}
    ("dagster_snowflake_pandas: _get_table_column_types", "DESCRIBE TABLE {database}.{schema}.{asset}"),
    (
        "snowflake.connector.pandas_tools: _create_temp_stage",
        f"CREATE TEMP STAGE {_STAGED} FILE_FORMAT=(TYPE=PARQUET COMPRESSION=gzip BINARY_AS_TEXT=FALSE)",
    ),
    (
        "snowflake.connector.pandas_tools: write_pandas (cursor._upload)",
        f"PUT 'file:///tmp/write_pandas/file0.txt' @{_STAGED} parallel=4 source_compression=auto_detect",
    ),
    (
        "snowflake.connector.pandas_tools: _create_temp_file_format",
        f"CREATE TEMP FILE FORMAT {_FORMAT} TYPE=PARQUET COMPRESSION=auto USE_LOGICAL_TYPE = TRUE",
    ),
    (
        "snowflake.connector.pandas_tools: write_pandas (infer_schema_sql)",
        f"SELECT COLUMN_NAME, TYPE FROM table(infer_schema(location=>'@{_STAGED}', file_format=>'{_FORMAT}'))",
    ),
    (
        "snowflake.connector.pandas_tools: write_pandas (create_table_sql)",
        f"CREATE TABLE IF NOT EXISTS {_TABLE} ({{column_types}})",
    ),
    (
        "snowflake.connector.pandas_tools: write_pandas (copy_into_sql)",
        f"COPY INTO {_TABLE} ({{columns}}) FROM (SELECT {{casts}} FROM '@{_STAGED}') FILE_FORMAT=(TYPE=PARQUET "
        "USE_VECTORIZED_SCANNER=False COMPRESSION=auto BINARY_AS_TEXT=FALSE USE_LOGICAL_TYPE = TRUE) "
        "PURGE=TRUE ON_ERROR='abort_statement'",
    ),
    (
        "dagster_snowflake: SnowflakeDbClient.get_select_statement (load_input)",
        "SELECT * FROM {database}.{schema}.{asset}",
    ),
)


def statements(table: Table, database: str) -> list[tuple[str, str]]:
    """(where, statement) for one write and one read of `table` through the IO manager."""
    columns = [(f'"{c.name}"', c.type) for c in table.columns]
    names = {
        "database": database,
        "schema": table.schema,
        "table": table.name,
        "asset": table.name.lower(),
        "column_types": ", ".join(f"{name} {kind}" for name, kind in columns),
        "columns": ",".join(name for name, _ in columns),
        "casts": ",".join(f"$1:{name}::{kind}" for name, kind in columns),
    }
    return [(where, text.format(**names)) for where, text in STATEMENTS]
