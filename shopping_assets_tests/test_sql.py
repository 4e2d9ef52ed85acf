"""One dialect: every statement in sql/ is Snowflake SQL, with safe identifiers."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from shopping_assets import statements as sql
from shopping_assets.embedded import emulator_gaps
from shopping_assets.settings import SettingsError, identifier, key_prefix

SAMPLE = {"database": "SHOPPING", "storage_integration": "SHOPPING_S3", "table": "CUSTOMERS", "columns": "A, B"}
FILES = sorted(str(p.relative_to(sql.SQL_DIR))[:-4] for p in sql.SQL_DIR.rglob("*.sql"))


def test_week_periods_do_not_follow_the_readers_week_start():
    """DATE_TRUNC(WEEK), DAYOFWEEK and WEEK follow the WEEK_START of whoever queries a view."""
    from shopping_assets.defs.mart.views import DAY_OF

    for period, day_of in DAY_OF.items():
        view = sql.render("mart/purchase_counts_by_period", {**SAMPLE, "period": period, "day_of_period": day_of})
        parsed = sqlglot.parse_one(view[0], read="snowflake")
        truncated = [t.args["unit"].name.upper() for t in parsed.find_all(exp.DateTrunc, exp.TimestampTrunc)]
        assert not [u for u in truncated if u.startswith("WEEK")], view[0]
        assert not list(parsed.find_all(exp.DayOfWeek, exp.Week)), view[0]


def test_every_emulator_stand_in_replaces_a_production_statement():
    stand_ins = {f for f in FILES if f.startswith("emulator/")}
    assert stand_ins == {substitute for substitute, _why in emulator_gaps.SUBSTITUTES.values()}
    for production in emulator_gaps.SUBSTITUTES:
        assert production in FILES


def test_production_statements_keep_what_the_emulator_lacks():
    copy = " ".join(sql.render("raw/transaction_lines_copy", SAMPLE))
    assert "METADATA$FILE_ROW_NUMBER" in copy and "FORCE = TRUE" in copy
    assert "STORAGE_INTEGRATION = SHOPPING_S3" in " ".join(sql.render("setup/03_stage", SAMPLE))
    assert "INFORMATION_SCHEMA.TABLES" in " ".join(sql.render("metadata/table_bytes", SAMPLE))


def test_a_tables_size_is_what_snowflake_reports_and_the_emulator_which_keeps_none_reports_none(pipeline):
    """dagster/size_bytes comes from INFORMATION_SCHEMA.TABLES.BYTES. The emulator answers the same
    statement with 0 for a table holding rows, so its stand-in says no size and the asset shows none."""
    from shopping_assets import tables

    pipeline.run_job("reference_job")
    with pipeline.warehouse().session() as session:
        cursor = session.connection.cursor()
        [production] = sql.render("metadata/table_bytes", session.warehouse.names)
        cursor.execute(production, {"schema": "RAW", "table": "CUSTOMERS"})
        assert cursor.fetchall() == [(0,)]  # the emulator's BYTES, for a table of 40 rows
        assert session.size(tables.RAW_CUSTOMERS) == {}
    raw_customers = pipeline.run_job("reference_job")["raw_customers"]
    assert raw_customers["dagster/row_count"] == 40 and "dagster/size_bytes" not in raw_customers


def test_the_emulator_names_a_sessions_temporary_tables_without_database_and_schema():
    tables: dict[str, str] = {}
    create = "CREATE OR REPLACE TEMPORARY TABLE DB.STAGING.TRANSACTION_LINE_FIELDS AS SELECT 1"
    assert emulator_gaps.unqualified_temporary_tables(create, tables).startswith(
        "CREATE OR REPLACE TEMPORARY TABLE TRANSACTION_LINE_FIELDS AS"
    )
    use = "SELECT * FROM DB.STAGING.TRANSACTION_LINE_FIELDS AS f JOIN DB.STAGING.TRANSACTION_ITEMS AS i"
    assert emulator_gaps.unqualified_temporary_tables(use, tables) == (
        "SELECT * FROM TRANSACTION_LINE_FIELDS AS f JOIN DB.STAGING.TRANSACTION_ITEMS AS i"
    )


@pytest.mark.parametrize("bad", ["SHOPPING; DROP TABLE X", "a-b", "1ABC", "", "x" * 300, "DB.SCHEMA"])
def test_unsafe_identifiers_are_refused(bad):
    with pytest.raises(SettingsError):
        identifier(bad, "SNOWFLAKE_DATABASE")
    with pytest.raises(SettingsError):
        sql.render("raw/reference_stage", {**SAMPLE, "table": bad or "''"})


@pytest.mark.parametrize("bad", ["../x", "a b/", "x/../y", "s3://x"])
def test_unsafe_prefixes_are_refused(bad):
    with pytest.raises(SettingsError):
        key_prefix(bad)


def test_the_sql_the_package_reads_is_the_projects_sql_folder():
    """sql/ stays at the top of the repository; the package reads it through its own sql/ link."""
    assert sql.SQL_DIR.resolve() == Path(__file__).resolve().parents[1] / "sql"
    assert sql.SQL_DIR.parent.name == "shopping_assets"


def test_emulator_flatten_numbers_each_array_and_names_object_keys_as_snowflake_does(pipeline):
    # Snowflake: INDEX is the element's position in its own array; an object's fields
    # have KEY and PATH set and no INDEX. emulator_gaps.FLATTEN_MACRO is what runs here.
    arrays = pipeline.query(
        "SELECT t.ID, f.INDEX, f.PATH, f.VALUE::VARCHAR FROM "
        '(SELECT 1 AS ID, PARSE_JSON(\'["a", "b", "a"]\') AS J UNION ALL SELECT 2, PARSE_JSON(\'["d"]\') '
        "UNION ALL SELECT 3, PARSE_JSON('[]')) AS t, "
        "LATERAL FLATTEN(input => t.J) AS f ORDER BY t.ID, f.INDEX"
    )
    assert [(int(i), int(n), p, v) for i, n, p, v in arrays] == [
        (1, 0, "[0]", "a"),
        (1, 1, "[1]", "b"),
        (1, 2, "[2]", "a"),
        (2, 0, "[0]", "d"),
    ]
    fields = pipeline.query(
        'SELECT f.KEY, f.PATH, f.INDEX FROM (SELECT PARSE_JSON(\'{{"x": 1, "y": [2]}}\') AS J) AS t, '
        "LATERAL FLATTEN(input => t.J) AS f ORDER BY f.KEY"
    )
    assert fields == [("x", "x", None), ("y", "y", None)]
