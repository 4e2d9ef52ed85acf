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
- A JSON line with a repeated key ({"customer_id": "C1", "customer_id": "C2", ...})
  loads on the emulator with one of the values; Snowflake's TRY_PARSE_JSON rejects
  it, so production quarantines it as malformed_json. The generator never writes one.

The emulator's own FLATTEN (fakesnow's `_fs_flatten` macro) numbers elements with
a window over the whole lateral join: slow (most of a month's flatten time), and
its INDEX is not guaranteed to be the position in the array. FLATTEN_MACRO below
replaces it with the same columns, computed per input: the position as INDEX, and
twice as fast.
"""

from __future__ import annotations

from typing import Any

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
}


# Installed into the emulator's DuckDB when it starts (DuckDB SQL, not Snowflake's):
# each file's lines with their 1-based numbers, as Snowflake's COPY reads them. One
# unnest of the split file with its subscripts (a lateral series indexing the list
# row by row took 1.8x as long). Slices, not rtrim/ltrim: DuckDB's trims cost six
# times the rest of the read (0.40 s of 0.46 s for a 350,174-line month).
EMULATOR_MACROS = """
CREATE OR REPLACE MACRO memory.main.shopping_file_lines(urls) AS TABLE
SELECT
    source_file,
    line_number,
    -- as Snowflake reads records: one CR before the LF is part of the line end
    CASE WHEN ends_with(line, chr(13)) THEN line[:-2] ELSE line END AS line
FROM (
    SELECT
        filename AS source_file,
        generate_subscripts(parts, 1) AS line_number,
        len(parts) AS line_count,
        unnest(parts) AS line
    FROM (
        SELECT
            filename,
            -- SKIP_BYTE_ORDER_MARK (on by default) drops the file's leading BOM
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


def use_flatten_macro() -> None:
    """Make fakesnow create FLATTEN_MACRO in every database it attaches from now on."""
    from string import Template

    from fakesnow import macros

    macros.FS_FLATTEN = Template(FLATTEN_MACRO)


def install(duck_conn) -> None:
    """Called by the emulator's launcher on its shared DuckDB connection, before any database is attached."""
    use_flatten_macro()
    duck_conn.execute(EMULATOR_MACROS)


def statement_for(name: str, emulator: bool) -> str:
    return SUBSTITUTES[name][0] if emulator and name in SUBSTITUTES else name


def params_for(name: str, params: dict[str, Any], stage_url: str) -> dict[str, Any]:
    """The emulator's read of staged files needs their full URLs, which COPY derives itself."""
    if name == "raw/transaction_lines_copy":
        return {**params, "stage_url": stage_url, "urls": [stage_url + f for f in params["files"]]}
    return params
