"""The emulator runs write_pandas (what SnowflakePandasIOManager writes with) as Snowflake does:
each gap emulator_gaps/write_pandas.py closes, seen from the connector."""

from __future__ import annotations

import datetime as dt
from contextlib import closing

import numpy as np
import pandas as pd
import pytest
import snowflake.connector
from snowflake.connector.pandas_tools import write_pandas

from shopping_assets.embedded.emulator_gaps import write_pandas as gaps
from shopping_assets.sessions import emulator_connection_args


@pytest.fixture
def connect(make_pipeline):
    """Sessions on the emulator, in a database of the test's own (schema MART)."""
    settings = make_pipeline().settings

    def session(**options):
        args = {**emulator_connection_args(settings), **options}
        return closing(snowflake.connector.connect(**args, database=settings.database, schema="MART"))

    session.settings = settings
    return session


def test_a_frame_of_every_kind_of_value_round_trips_through_write_pandas(connect):
    frame = pd.DataFrame(
        {
            "ID": [1, 2, 3],
            "AMOUNT": [1.5, np.nan, -3.25],
            "NOTE": ['a "quote", a comma', "line\nbreak, é", None],
            "DAY": [dt.date(2024, 1, 1), None, dt.date(2024, 2, 29)],
            "AT": pd.to_datetime(["2024-01-01 10:00:00", None, "2024-01-03 00:00:01.250"], format="ISO8601"),
            "first name": ["Ada", "", "Grace"],  # a name that needs quotes, and AT: a DuckDB keyword
        }
    )
    database = connect.settings.database
    with connect() as conn:
        for overwrite in (False, True):  # a first write, then a replacing one (a temporary table swapped in)
            ok, chunks, rows, _ = write_pandas(
                conn,
                frame,
                table_name="ROUND_TRIP",
                database=database,
                schema="MART",
                auto_create_table=True,
                use_logical_type=True,
                quote_identifiers=True,
                overwrite=overwrite,
                chunk_size=2,
            )
            assert (ok, chunks, rows) == (True, 2, 3)
        back = pd.read_sql(f"SELECT * FROM {database}.MART.ROUND_TRIP ORDER BY ID", conn)
    pd.testing.assert_frame_equal(back, frame)


def test_infer_schema_reports_snowflakes_types_for_staged_parquet(connect, tmp_path):
    path = tmp_path / "probe.parquet"
    pd.DataFrame(
        {"N": [1], "X": [0.5], "T": ["t"], "B": [True], "D": [dt.date(2024, 1, 1)], "AT": [pd.Timestamp("2024-01-01")]}
    ).to_parquet(path)
    with connect() as conn:
        cursor = conn.cursor()
        cursor.execute("CREATE TEMP STAGE PROBE_STAGE")
        cursor.execute("CREATE TEMP FILE FORMAT PROBE_FORMAT TYPE = PARQUET USE_LOGICAL_TYPE = TRUE")
        cursor.execute(f"PUT 'file://{path}' @PROBE_STAGE")
        inferred = cursor.execute(
            "SELECT COLUMN_NAME, TYPE, EXPRESSION, ORDER_ID "
            "FROM TABLE(INFER_SCHEMA(LOCATION => '@PROBE_STAGE', FILE_FORMAT => 'PROBE_FORMAT')) ORDER BY ORDER_ID"
        ).fetchall()
    assert inferred == [
        ("N", "NUMBER(38, 0)", '$1:"N"::NUMBER(38, 0)', 0),
        ("X", "REAL", '$1:"X"::REAL', 1),
        ("T", "TEXT", '$1:"T"::TEXT', 2),
        ("B", "BOOLEAN", '$1:"B"::BOOLEAN', 3),
        ("D", "DATE", '$1:"D"::DATE', 4),
        ("AT", "TIMESTAMP_NTZ(9)", '$1:"AT"::TIMESTAMP_NTZ(9)', 5),
    ]


def test_parquet_types_map_to_what_snowflake_infers():
    assert [gaps.inferred_type(t) for t in ("SMALLINT", "UBIGINT", "DOUBLE", "VARCHAR", "TIMESTAMP_NS")] == [
        "NUMBER(38, 0)",
        "NUMBER(38, 0)",
        "REAL",
        "TEXT",
        "TIMESTAMP_NTZ(9)",
    ]
    assert gaps.inferred_type("DECIMAL(10,2)") == "NUMBER(10, 2)"
    assert [gaps.inferred_type(t) for t in ("INTEGER[]", "STRUCT(a INTEGER)", "UUID")] == ["ARRAY", "OBJECT", "VARIANT"]


def test_a_name_bound_as_quoted_parts_names_an_object_in_that_schema(connect):
    database = connect.settings.database
    with connect(paramstyle="qmark") as conn:
        cursor = conn.cursor()
        cursor.execute("CREATE TEMP STAGE IDENTIFIER(?)", (f'"{database}"."MART"."BOUND_STAGE"',))
        names = [row[1] for row in cursor.execute(f"SHOW STAGES IN SCHEMA {database}.MART").fetchall()]
    assert names == ["BOUND_STAGE"]


def test_a_missing_table_is_worded_as_snowflake_words_it(connect):
    """dagster deletes a table's rows before writing it and ignores exactly this error."""
    with connect() as conn, pytest.raises(snowflake.connector.errors.ProgrammingError) as failure:
        conn.cursor().execute(f"DELETE FROM {connect.settings.database}.MART.NEVER_WRITTEN")
    assert failure.value.errno == 2003
    assert "NEVER_WRITTEN' does not exist or not authorized" in failure.value.msg


def test_a_null_timestamp_reads_back_null(connect):
    with connect() as conn:
        row = conn.cursor().execute("SELECT NULL::TIMESTAMP_NTZ, '2024-01-01 10:00:00'::TIMESTAMP_NTZ").fetchone()
    assert row == (None, dt.datetime(2024, 1, 1, 10, 0))


def test_temporary_stages_and_file_formats_end_with_their_session(connect, tmp_path):
    (tmp_path / "f.csv").write_text("1\n")
    stages = connect.settings.state_dir / "snowflake-stages" / connect.settings.database / "MART"
    with connect() as first:
        cursor = first.cursor()
        cursor.execute("CREATE TEMP STAGE SESSION_STAGE")
        cursor.execute("CREATE TEMP FILE FORMAT SESSION_FORMAT TYPE = PARQUET")
        cursor.execute(f"PUT 'file://{tmp_path / 'f.csv'}' @SESSION_STAGE")
        assert (stages / "SESSION_STAGE").is_dir()
    # the session ended (its client logged out): the same names are free again, the stage's files gone
    assert not (stages / "SESSION_STAGE").exists()
    with connect() as second:
        cursor = second.cursor()
        cursor.execute("CREATE TEMP STAGE SESSION_STAGE")
        cursor.execute("CREATE TEMP FILE FORMAT SESSION_FORMAT TYPE = PARQUET")
