"""The floor: the whole job in plain DuckDB over the same files, bare and with the accounting.

The bare floor is the job and nothing else (typed read_json, unnest baskets, join,
group by). The accounted floor adds the per-line accounting the pipeline owes its users
and the bare floor skips. Both run in a fresh process (a median of FLOOR_REPEAT runs), and
must count the rows the pipeline's view counts.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.measure import reset_peak, status_kib

if TYPE_CHECKING:
    import duckdb

FLOOR_SQL = """
CREATE TABLE purchase_counts AS
WITH items AS (
    SELECT t.customer_id, unnest(t.basket).product_id AS product_id
    FROM read_json(
        '{root}/transactions/*/transactions.json',
        format = 'newline_delimited',
        hive_partitioning = false,
        columns = {{customer_id: 'VARCHAR', basket: 'STRUCT(product_id VARCHAR, price BIGINT)[]',
                   date_of_purchase: 'VARCHAR'}}
    ) AS t
)
SELECT c.customer_id, c.loyalty_score, p.product_id, p.product_category, count(*) AS purchase_count
FROM items AS i
JOIN read_csv('{root}/customers.csv', header = true) AS c ON c.customer_id = i.customer_id
JOIN read_csv('{root}/products.csv', header = true) AS p ON p.product_id = i.product_id
GROUP BY ALL
"""


# The floor again, with the per-line accounting the pipeline owes its users and the
# floor skips: every line numbered in its file, parsed once into typed columns, given
# the first rule it breaks (or none), duplicates found, and only clean lines' basket
# lines counted. Coarser than the pipeline's rules (one typed parse cannot tell a
# number from a string, and a line whose fields have the wrong types is just not
# parseable here), so it is a lower bound on what that accounting costs this engine,
# with no S3, no Dagster, no Snowflake emulation and nothing kept in a table on disk.
# Lines are read by the emulator's own line reader (emulator_gaps.EMULATOR_MACROS), a
# CRLF line's CR dropped as sql/raw/transaction_lines_replace.sql drops it.
ACCOUNTED_FLOOR_SQL = """
CREATE TABLE lines AS
SELECT source_file, line_number, CASE WHEN ends_with(line, chr(13)) THEN line[:-2] ELSE line END AS line
FROM memory.main.shopping_file_lines('{root}/transactions/*/transactions.json');

CREATE TABLE parsed AS
SELECT
    source_file, line_number, regexp_full_match(line, ' *') AS is_blank, doc,
    TRY_CAST(doc.date_of_purchase AS TIMESTAMP) AS purchased_at,
    CAST(regexp_extract(source_file, 'd=([0-9-]+)', 1) AS DATE) AS file_day,
    list_min(list_transform(doc.basket, lambda item: CASE
        WHEN item.product_id IS NULL OR item.product_id = '' THEN '2 missing_product_id'
        WHEN item.price IS NULL THEN '3 price_missing'
        WHEN NOT regexp_full_match(item.price, '-?[0-9]{{1,38}}') THEN '4 price_not_integer'
        WHEN item.price::HUGEINT <= 0 THEN '5 price_not_positive'
    END))[3:] AS item_reason
FROM (
    SELECT source_file, line_number, line, try(json_transform_strict(line, '{{"customer_id": "VARCHAR",
        "basket": [{{"product_id": "VARCHAR", "price": "VARCHAR"}}], "date_of_purchase": "VARCHAR"}}')) AS doc
    FROM lines
);

-- the exact numbering only for lines whose hash repeats
CREATE TABLE repeated AS
SELECT source_file, line_number, ROW_NUMBER() OVER (PARTITION BY line ORDER BY source_file, line_number) AS copy_number
FROM lines
WHERE hash(line) IN (SELECT hash(line) FROM lines GROUP BY 1 HAVING COUNT(*) > 1);

CREATE TABLE verdicts AS
SELECT p.*, CASE
    WHEN is_blank THEN 'empty_line'
    WHEN doc IS NULL THEN 'malformed_json'
    WHEN doc.customer_id IS NULL OR doc.customer_id = '' THEN 'missing_customer_id'
    WHEN doc.basket IS NULL THEN 'missing_basket'
    WHEN len(doc.basket) = 0 THEN 'empty_basket'
    WHEN doc.date_of_purchase IS NULL THEN 'date_missing'
    WHEN purchased_at IS NULL THEN 'date_unparseable'
    WHEN purchased_at::DATE NOT BETWEEN file_day AND file_day + 1 THEN 'date_out_of_window'
    WHEN item_reason IS NOT NULL THEN item_reason
    WHEN r.copy_number > 1 THEN 'duplicate_line'
END AS reason
FROM parsed AS p
LEFT JOIN repeated AS r USING (source_file, line_number);

CREATE TABLE transaction_items AS
SELECT source_file, line_number, item.i AS item_index, doc.customer_id, item.v.product_id,
       item.v.price::BIGINT AS price, purchased_at
FROM (
    SELECT *, unnest(list_zip(range(len(doc.basket)), doc.basket)
                     ::STRUCT(i BIGINT, v STRUCT(product_id VARCHAR, price VARCHAR))[]) AS item
    FROM verdicts
    WHERE reason IS NULL
);

CREATE TABLE purchase_counts AS
SELECT c.customer_id, c.loyalty_score, p.product_id, p.product_category, count(*) AS purchase_count
FROM transaction_items AS i
JOIN read_csv('{root}/customers.csv', header = true) AS c ON c.customer_id = i.customer_id
JOIN read_csv('{root}/products.csv', header = true) AS p ON p.product_id = i.product_id
GROUP BY ALL
"""

FLOOR_REPEAT = 3


def timed_runs(sql: str) -> tuple[list[float], duckdb.DuckDBPyConnection]:
    """FLOOR_REPEAT runs of sql, each on a new connection (one run alone swings with the
    machine's other load); the seconds of each and the last connection."""
    import duckdb

    from shopping_assets.embedded.emulator_gaps import EMULATOR_MACROS

    runs = []
    for _ in range(FLOOR_REPEAT):
        began = time.perf_counter()
        con = duckdb.connect()
        con.execute(EMULATOR_MACROS)
        for statement in sql.split(";\n\n"):
            con.execute(statement)
        con.execute("SELECT COUNT(*) FROM purchase_counts").fetchone()
        runs.append(round(time.perf_counter() - began, 3))
    return runs, con


def floor_child(root: str, csv_out: str) -> None:
    """Runs in a fresh process: the whole job in plain DuckDB, bare and then with the
    pipeline's per-line accounting; prints their figures as JSON (medians of FLOOR_REPEAT runs)."""
    started = time.perf_counter()
    import duckdb  # noqa: F401  (timed apart from the queries)

    imported = time.perf_counter()
    root = root.replace("'", "''")
    runs, con = timed_runs(FLOOR_SQL.format(root=root))
    rows, lines = con.execute("SELECT COUNT(*), SUM(purchase_count) FROM purchase_counts").fetchone()
    queried = time.perf_counter()
    con.execute(
        f"COPY (SELECT * FROM purchase_counts ORDER BY customer_id, product_id) TO '{csv_out}' (HEADER, DELIMITER ',')"
    )
    exported = time.perf_counter()
    # VmHWM, not ru_maxrss: after fork and exec, ru_maxrss still holds the parent's peak
    peak_mib = round((status_kib("self", "VmHWM") or 0) / 1024, 1)
    del con
    reset_peak("self")
    accounted_runs, con = timed_runs(ACCOUNTED_FLOOR_SQL.format(root=root))
    accounted = con.execute(
        "SELECT (SELECT COUNT(*) FROM purchase_counts), (SELECT SUM(purchase_count) FROM purchase_counts), "
        "COUNT(*), COUNT(*) FILTER (WHERE reason IS NULL) FROM verdicts"
    ).fetchone()
    figures = {
        "query_seconds": statistics.median(runs),
        "query_runs": runs,
        "import_seconds": round(imported - started, 3),
        "export_seconds": round(exported - queried, 3),
        "rows": int(rows),
        "basket_lines": int(lines or 0),
        "accounted": {
            "query_seconds": statistics.median(accounted_runs),
            "query_runs": accounted_runs,
            "rows": int(accounted[0]),
            "basket_lines": int(accounted[1] or 0),
            "lines": int(accounted[2]),
            "loaded_lines": int(accounted[3]),
            "peak_mib": round((status_kib("self", "VmHWM") or 0) / 1024, 1),
        },
        "peak_mib": peak_mib,
        "threads": int(con.execute("SELECT current_setting('threads')").fetchone()[0]),
    }
    print(json.dumps(figures))


_FLOOR_COMMAND = "import sys; from benchmarks.floor import floor_child; floor_child(*sys.argv[1:])"


def floor(root: Path, csv_out: Path) -> dict:
    started = time.perf_counter()
    process = subprocess.run(
        [sys.executable, "-c", _FLOOR_COMMAND, str(root), str(csv_out)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    figures = json.loads(process.stdout.strip().splitlines()[-1])
    figures["process_seconds"] = round(time.perf_counter() - started, 3)
    return figures
