"""Every place where the embedded Snowflake emulator needs different SQL.

The emulator (fakesnow on DuckDB) runs almost all of the project's Snowflake SQL
as it is. Where it cannot, the production statement stays in `sql/<name>.sql`
and its stand-in lives in `sql/emulator/<file>.sql`, listed here with the reason.
Tests parse every production statement with sqlglot's Snowflake dialect and run
every stand-in on the emulator.

Known emulator differences that need no stand-in, because nothing depends on them:
- A write that meets another session's open transaction fails at once (a lock
  error, 000625) where Snowflake waits for the lock; the steps' RetryPolicy waits
  instead (see sql/setup/06_load_lock.sql and embedded/snowflake_server.py).
- A retried query request is run again, where Snowflake recognises its request id;
  the fault proxy therefore breaks requests only before they reach the emulator.
- A JSON line with a repeated key (REPEATED_KEY_LINE) loads on the emulator with one
  of the values; Snowflake's TRY_PARSE_JSON rejects it (duplicate keys are an error by
  default), so production quarantines it as malformed_json. The generator never
  writes one; a test shows the emulator's side, `doctor` Snowflake's.
- TRY_CAST of text to TIMESTAMP_NTZ raises on the emulator where Snowflake returns
  NULL; the classification reaches it only through the pattern that guards it, so
  both give the same answer.
- fakesnow sends a NULL TIMESTAMP_NTZ to the client as 1970-01-01 00:00:00 (its Arrow
  struct of epoch and fraction carries no nulls). A current version's VALID_TO is NULL, so
  `keep_null_timestamps` below gives the struct the column's nulls, as Snowflake sends them.

The emulator's own FLATTEN (fakesnow's `_fs_flatten` macro) numbers elements with
a window over the whole lateral join: slow (most of a month's flatten time), and
its INDEX is not guaranteed to be the position in the array. FLATTEN_MACRO below
replaces it with the same columns, computed per input: the position as INDEX, and
twice as fast.

SnowflakePandasIOManager writes a DataFrame through the connector's `write_pandas`:
CREATE TEMP STAGE, PUT of a Parquet file, CREATE TEMP FILE FORMAT, INFER_SCHEMA,
CREATE TABLE IF NOT EXISTS and COPY INTO ... FROM (SELECT $1:"COL"::TYPE ...), every
name bound as IDENTIFIER('"DB"."SCHEMA"."NAME"'). fakesnow 0.12.1 lacks parts of that;
`write_pandas.py` closes each gap, so the same IO manager runs on both sides:
- IDENTIFIER('"DB"."S"."T"') names one object in DB.S (fakesnow made a single name of
  the whole string, so the PUT found no stage and the connector failed with KeyError);
- TABLE(INFER_SCHEMA(LOCATION => '@stage', FILE_FORMAT => 'format')) over staged Parquet;
- a COPY transformation reading FROM '@stage' written as a string, and keeping its
  $1:"COL" names quoted (a column named like a DuckDB keyword, AT, failed to parse);
- a missing table is "Object 'X' does not exist or not authorized." as Snowflake words
  it: dagster's DELETE before a table's first write ignores exactly that error;
- a NULL timestamp reads back as NULL (`keep_null_timestamps` here, which history's
  VALID_TO needs too);
- temporary stages and file formats go when their session closes, as Snowflake's do.
"""

from __future__ import annotations

import re
from typing import Any

from shopping_assets.embedded.emulator_gaps import write_pandas

REPEATED_KEY_LINE = (
    '{"customer_id": "C1", "customer_id": "C2", "basket": [{"product_id": "P01", "price": 10}], '
    '"date_of_purchase": "2024-05-01 09:00:00"}'
)


def repeated_key_reason(emulator: bool) -> str | None:
    """How each side classifies REPEATED_KEY_LINE: loaded (None) on the emulator."""
    return None if emulator else "malformed_json"


# production statement -> (emulator stand-in, why)
SUBSTITUTES: dict[str, tuple[str, str]] = {
    "setup/03_stage": (
        "emulator/03_stage",
        "no storage integrations; the stage reads the embedded S3 server directly",
    ),
    "raw/transaction_lines_copy": (
        "emulator/transaction_lines_copy",
        "COPY with a transformation (METADATA$FILENAME, METADATA$FILE_ROW_NUMBER) is not supported",
    ),
    "metadata/table_bytes": (
        "emulator/table_bytes",
        "INFORMATION_SCHEMA.TABLES.BYTES is 0 for every table: no sizes are kept, so none is reported",
    ),
}


# Installed into the emulator's DuckDB when it starts (DuckDB SQL, not Snowflake's):
# each file's lines with their 1-based numbers, as Snowflake's COPY reads them with
# LINE_FORMAT (RECORD_DELIMITER = '\n': a CRLF line keeps its CR here, and the shared
# sql/raw/transaction_lines_replace.sql drops it on both deployments). One unnest of
# the split file with its subscripts (a lateral series indexing the list row by row
# took 1.8x as long); a slice, not ltrim, for the BOM.
EMULATOR_MACROS = """
CREATE OR REPLACE MACRO memory.main.shopping_file_lines(urls) AS TABLE
SELECT source_file, line_number, line
FROM (
    SELECT
        filename AS source_file,
        generate_subscripts(parts, 1) AS line_number,
        len(parts) AS line_count,
        unnest(parts) AS line
    FROM (
        SELECT
            filename,
            -- SKIP_BYTE_ORDER_MARK = TRUE drops the file's leading BOM
            string_split(CASE WHEN starts_with(content, chr(65279)) THEN content[2:] ELSE content END, chr(10)) AS parts
        FROM read_text(urls)
    )
)
-- the text after the last line end is a line only if it is not empty
WHERE line_number < line_count OR line <> ''
"""

# Snowflake's FLATTEN, for fakesnow's `_fs_flatten(input)` (a string.Template on the
# catalog, as fakesnow's own): SEQ, KEY, PATH, INDEX, VALUE, THIS for an array's
# elements or an object's fields, numbered by their subscripts.
FLATTEN_MACRO = """
CREATE OR REPLACE MACRO ${catalog}._fs_flatten(input) AS TABLE
SELECT
    hash(j)::UBIGINT AS SEQ,
    k AS KEY,
    COALESCE(k, '[' || (i - 1) || ']') AS PATH,
    CASE WHEN k IS NULL THEN (i - 1)::BIGINT END AS INDEX,
    v AS VALUE,
    j AS THIS
FROM (
    SELECT j, unnest(vals) AS v, unnest(keys) AS k, generate_subscripts(vals, 1) AS i
    FROM (
        SELECT
            j,
            CASE WHEN is_object THEN json_keys(j) END AS keys,
            CASE WHEN is_object THEN list_transform(json_keys(j), lambda x: CAST(j -> x AS JSON))
                 ELSE CAST(j AS JSON[]) END AS vals
        FROM (SELECT TO_JSON(input) AS j, json_type(TO_JSON(input)) = 'OBJECT' AS is_object)
    )
)
"""


# DuckDB keeps temporary tables in a catalog of their own and refuses a database and
# schema in their names, which Snowflake's statements give them (a temporary table
# lands in the schema it names). The emulator's cursor drops the qualification from
# a session's temporary tables, where they are created and wherever they are used.
_CREATE_TEMPORARY = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?TEMPORARY\s+TABLE\s+(\w+\.\w+\.(\w+))", re.IGNORECASE)


def unqualified_temporary_tables(command: str, session_tables: dict[str, str]) -> str:
    """`command` with the session's temporary tables (qualified name -> bare name, updated
    from the command's own CREATE) named without their database and schema."""
    for match in _CREATE_TEMPORARY.finditer(command):
        session_tables[match[1].upper()] = match[2].upper()
    for qualified, bare in session_tables.items():
        command = re.sub(rf"\b{re.escape(qualified)}\b", bare, command, flags=re.IGNORECASE)
    return command


def use_unqualified_temporary_tables() -> None:
    """Make fakesnow's cursors apply `unqualified_temporary_tables`, per connection."""
    from fakesnow.cursor import FakeSnowflakeCursor

    original = FakeSnowflakeCursor.execute

    def execute(self, command, *args, **kwargs):
        session_tables = self._conn.__dict__.setdefault("_shopping_temporary_tables", {})
        return original(self, unqualified_temporary_tables(command, session_tables), *args, **kwargs)

    FakeSnowflakeCursor.execute = execute


# fakesnow's COPY maps a few CSV options to DuckDB's read_csv and refuses every other
# one. These are spelled out in sql/setup/02_file_formats.sql with the values that are
# DuckDB's own behaviour (LF or CRLF ends a row, no escape, no trimming, the BOM
# skipped, UTF-8, invalid bytes and a wrong column count an error), so the emulator
# takes them as read; any other value is still refused. A blank line: DuckDB skips it
# where Snowflake fails the load, and the project refuses such a file before upload.
CSV_OPTIONS_AS_READ = {
    "RECORD_DELIMITER": ("\n", "\\n"),
    "ESCAPE": ("NONE",),
    "TRIM_SPACE": ("FALSE",),
    "SKIP_BLANK_LINES": ("FALSE",),
    "SKIP_BYTE_ORDER_MARK": ("TRUE",),
    "ENCODING": ("UTF8", "UTF-8"),
    "REPLACE_INVALID_CHARACTERS": ("FALSE",),
    "ERROR_ON_COLUMN_COUNT_MISMATCH": ("TRUE",),
}


def accept_csv_options_as_read() -> None:
    from fakesnow import copy_into

    original = copy_into.handle_csv

    def handle_csv(options: dict[str, Any]):
        rest = {}
        for name, value in options.items():
            if name not in CSV_OPTIONS_AS_READ:
                rest[name] = value
            elif str(value).upper() not in CSV_OPTIONS_AS_READ[name]:
                raise NotImplementedError(f"FILE_FORMAT option {name} = {value!r} on the emulator")
        return original(rest)

    copy_into.handle_csv = handle_csv


def keep_null_timestamps() -> None:
    """Make fakesnow's server send NULL timestamps as NULL, not as the epoch (see the docstring)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from fakesnow import arrow

    original = arrow.timestamp_to_sf_struct

    def timestamp_to_sf_struct(ts):
        if isinstance(ts, pa.ChunkedArray):
            ts = ts.combine_chunks()
        struct = original(ts)
        if not ts.null_count:
            return struct
        children = [pc.fill_null(struct.field(i), 0) for i in range(struct.type.num_fields)]
        return pa.StructArray.from_arrays(children, fields=list(struct.type), mask=ts.is_null())

    arrow.timestamp_to_sf_struct = timestamp_to_sf_struct


def use_flatten_macro() -> None:
    """Make fakesnow create FLATTEN_MACRO in every database it attaches from now on."""
    from string import Template

    from fakesnow import macros

    macros.FS_FLATTEN = Template(FLATTEN_MACRO)


def install(duck_conn) -> None:
    """Called by the emulator's launcher on its shared DuckDB connection, before any database is attached."""
    use_flatten_macro()
    keep_null_timestamps()
    use_unqualified_temporary_tables()
    accept_csv_options_as_read()
    write_pandas.install()
    duck_conn.execute(EMULATOR_MACROS)


def statement_for(name: str, emulator: bool) -> str:
    return SUBSTITUTES[name][0] if emulator and name in SUBSTITUTES else name


def params_for(name: str, params: dict[str, Any], stage_url: str) -> dict[str, Any]:
    """The emulator's read of staged files needs their full URLs, which COPY derives itself."""
    if name == "raw/transaction_lines_copy":
        bucket_url = stage_url[: stage_url.index("/", len("s3://")) + 1]
        return {**params, "bucket_url": bucket_url, "urls": [stage_url + f for f in params["files"]]}
    return params
