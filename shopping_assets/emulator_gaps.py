"""Every place where the embedded Snowflake emulator needs different SQL.

The emulator (fakesnow on DuckDB) runs almost all of the project's Snowflake SQL
as it is. Where it cannot, the production statement stays in `sql/<name>.sql`
and its stand-in lives in `sql/emulator/<file>.sql`, listed here with the reason.
Tests parse every production statement with sqlglot's Snowflake dialect and run
every stand-in on the emulator.

Known emulator differences that need no stand-in, because nothing depends on them:
- FLATTEN's INDEX is a row_number() over the unnested rows, not always the
  position in the array, so STAGING.TRANSACTION_ITEMS.ITEM_INDEX may differ from
  Snowflake's on the emulator; counts and every other column are the same.
- A write that meets another session's open transaction fails at once (a lock
  error, 000625) where Snowflake waits for the lock; the steps' RetryPolicy waits
  instead (see sql/setup/06_load_lock.sql and embedded/snowflake_server.py).
- A retried query request is run again, where Snowflake recognises its request id;
  the fault proxy therefore breaks requests only before they reach the emulator.
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
# each file's lines with their 1-based numbers, as Snowflake's COPY reads them. Positions come from the list
# index itself; FLATTEN's INDEX cannot be trusted for this (see above).
EMULATOR_MACROS = """
CREATE OR REPLACE MACRO memory.main.shopping_file_lines(urls) AS TABLE
SELECT
    filename AS source_file,
    line_number,
    -- as Snowflake reads records: a CR before the LF is part of the line end, and
    -- SKIP_BYTE_ORDER_MARK (on by default) drops a leading BOM
    rtrim(CASE WHEN line_number = 1 THEN ltrim(parts[1], chr(65279)) ELSE parts[line_number] END, chr(13)) AS line
FROM (SELECT filename, string_split(content, chr(10)) AS parts FROM read_text(urls)) AS f,
    generate_series(1, len(parts)) AS g(line_number)
WHERE line_number < len(parts) OR parts[line_number] <> ''
"""


def install(duck_conn) -> None:
    """Called by the emulator's launcher on its shared DuckDB connection."""
    duck_conn.execute(EMULATOR_MACROS)


def statement_for(name: str, emulator: bool) -> str:
    return SUBSTITUTES[name][0] if emulator and name in SUBSTITUTES else name


def params_for(name: str, params: dict[str, Any], stage_url: str) -> dict[str, Any]:
    """The emulator's read of staged files needs their full URLs, which COPY derives itself."""
    if name == "raw/transaction_lines_copy":
        return {**params, "stage_url": stage_url, "urls": [stage_url + f for f in params["files"]]}
    return params
