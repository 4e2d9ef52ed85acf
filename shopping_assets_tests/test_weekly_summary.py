"""The weekly summary: a pandas DataFrame the weekly run writes to MART.WEEKLY_SUMMARY through
SnowflakePandasIOManager, on the embedded emulator as on Snowflake, and reads back through it."""

from __future__ import annotations

import re

import dagster as dg
import pandas as pd
import pytest
from dagster import AssetKey, DagsterInstance
from snowflake.connector.cursor import SnowflakeCursor

from shopping_assets import tables
from shopping_assets.bootstrap import audit, io_manager
from shopping_assets.resources.snowflake_pandas import IO_MANAGER_KEY
from shopping_assets_tests import oracle

MONTHS = ["2024-01-01", "2024-02-01"]


def _table(pipeline) -> list[tuple]:
    """MART.WEEKLY_SUMMARY as a data scientist reads it (sql/reader/weekly_summary.sql)."""
    from shopping_assets import statements

    (query,) = statements.render("reader/weekly_summary", {"database": pipeline.settings.database})
    return [tuple(row) for row in pipeline.query(query)]


def _read_back(pipeline) -> pd.DataFrame:
    """The summary as an asset downstream of it gets it: loaded by the IO manager."""

    @dg.asset
    def notebook(weekly_summary: pd.DataFrame) -> pd.DataFrame:
        return weekly_summary

    stored = dg.AssetSpec("weekly_summary").with_io_manager_key(IO_MANAGER_KEY)
    resources = {IO_MANAGER_KEY: pipeline.definitions().resources[IO_MANAGER_KEY], "io_manager": dg.mem_io_manager}
    result = dg.materialize([stored, notebook], resources=resources, instance=DagsterInstance.ephemeral())
    return result.output_for_node("notebook")


def _assert_summary_is(rows: list[tuple], expected: dict) -> None:
    """Rows of (PERIOD_START, ISO_WEEK, CUSTOMERS, PRODUCTS, PURCHASES, PURCHASES_PER_CUSTOMER)."""
    assert [(start, int(c), int(p), int(n)) for start, _, c, p, n, _ in rows] == [
        (monday, *counts) for monday, counts in expected.items()
    ]
    for start, iso_week, customers, _, purchases, per_customer in rows:
        year, week, _ = start.isocalendar()
        assert iso_week == f"{year}-W{week:02d}"
        assert per_customer == pytest.approx(int(purchases) / int(customers), abs=0.005)


def test_two_months_give_the_weeks_an_independent_computation_gives_and_read_back_the_same(pipeline, monkeypatch):
    monkeypatch.setenv("SHOPPING_SUMMARY_WEEKS", "5")
    pipeline.materialise(MONTHS)

    expected = oracle.weekly_summary(pipeline.input_dir, weeks=5)
    assert len(expected) == 5 and min(expected).isoformat() > "2024-01-15"  # the latest 5 weeks, not all 9
    rows = _table(pipeline)
    _assert_summary_is(rows, expected)
    # what a downstream asset (a data scientist's notebook) loads through the IO manager is the same frame
    frame = _read_back(pipeline)
    assert list(frame.columns) == [c.name.lower() for c in tables.WEEKLY_SUMMARY.columns]
    assert [tuple(r) for r in frame.itertuples(index=False)] == rows


def test_the_weekly_run_writes_it_again_without_doubling_it(make_pipeline):
    pipeline = make_pipeline(generate=True)
    pipeline.materialise(["2024-03-01"])
    before = _table(pipeline)

    for _ in range(2):
        outcome = pipeline.run("weekly_job", "2024-03-01")
        assert outcome.metadata["weekly_summary"]["weeks"] == len(before)
        check = outcome.checks["weekly_summary.summary_is_consistent"]
        assert check.passed, check.metadata

    assert _table(pipeline) == before
    _assert_summary_is(before, oracle.weekly_summary(pipeline.input_dir, weeks=12))


def test_with_no_purchases_loaded_the_summary_is_an_empty_table(make_pipeline):
    pipeline = make_pipeline(generate=True)
    pipeline.run_job("reference_job")
    outcome = pipeline.run("publish_job")

    assert outcome.metadata["weekly_summary"]["weeks"] == 0
    assert outcome.checks["weekly_summary.summary_is_consistent"].passed
    assert _table(pipeline) == [] and _read_back(pipeline).empty


def _as_snowflake_runs_it(query: str, bindings: dict | None, database: str) -> str:
    """A statement the connector sent, its server-side bindings (IDENTIFIER(?), ?) filled in, its
    session's schema (the IO manager's, MART) named, and write_pandas' random names replaced by
    the declared ones."""
    values = iter(binding["value"] for _, binding in sorted((bindings or {}).items(), key=lambda b: int(b[0])))
    text = re.sub(r"/\*.*?\*/", " ", query).strip()
    put = text.upper().startswith("PUT")

    def bind(match: re.Match[str]) -> str:
        value = next(values)
        return value if match[1] or put else f"'{value}'"  # a name, PUT's stage, or a string

    text = re.sub(r"(identifier\()?\?(?(1)\))", bind, text)
    text = re.sub(r"^DESCRIBE TABLE (\w+)$", rf"DESCRIBE TABLE {database}.MART.\1", text)
    text = re.sub(r"SNOWPARK_TEMP_STAGE_\w+", io_manager.STAGE, text)
    return re.sub(r"SNOWPARK_TEMP_FILE_FORMAT_\w+", io_manager.FILE_FORMAT, text)


def test_the_io_manager_sends_nothing_the_privilege_audit_does_not_declare(make_pipeline, monkeypatch):
    """bootstrap --audit checks the IO manager's statements from a declared list: what a real
    write and read send must need no privilege that list does not."""
    pipeline = make_pipeline()
    sent: list[tuple[str, dict | None]] = []
    original = SnowflakeCursor._execute_helper

    def recording(self, query, *args, **kwargs):
        sent.append((query, kwargs.get("binding_params")))
        return original(self, query, *args, **kwargs)

    frame = pd.DataFrame(
        {
            "period_start": [pd.Timestamp("2024-01-01").date()],
            "iso_week": ["2024-W01"],
            "customers": [2],
            "products": [3],
            "purchases": [4],
            "purchases_per_customer": [2.0],
        }
    )

    @dg.asset(name="weekly_summary", io_manager_key=IO_MANAGER_KEY)
    def written() -> pd.DataFrame:
        return frame

    monkeypatch.setattr(SnowflakeCursor, "_execute_helper", recording)
    for _ in range(2):  # a first write and a rewrite, each read back
        assert _read_back_after(pipeline, written).equals(frame)
    monkeypatch.undo()

    database, role = pipeline.settings.database, "SHOPPING_PIPELINE"
    declared = [audit.Statement(w, t, role) for w, t in io_manager.statements(tables.WEEKLY_SUMMARY, database)]
    ran = [audit.Statement("sent", _as_snowflake_runs_it(q, b, database), role) for q, b in sent if q.strip()]
    inventory = audit.Inventory()
    needed = {need for s in ran for need in audit.needs(s, inventory, database)}
    assert needed and needed <= {need for s in declared for need in audit.needs(s, inventory, database)}

    # and the declared list has each kind of statement sent (a write's, then a read's)
    def kinds(statements) -> list[str]:
        words = [s.text.upper().split() for s in statements if s.text != "COMMIT"]
        return list(dict.fromkeys("PUT" if w[0] == "PUT" else " ".join(w[:3]) for w in words))

    assert kinds(ran) == kinds(declared)


def _read_back_after(pipeline, written) -> pd.DataFrame:
    resources = {IO_MANAGER_KEY: pipeline.definitions().resources[IO_MANAGER_KEY]}
    dg.materialize([written], resources=resources, instance=DagsterInstance.ephemeral())
    return _read_back(pipeline)


def test_the_io_manager_logs_in_as_the_warehouse_does_with_the_key_pair_and_no_secret_in_its_config(monkeypatch):
    from shopping_assets.resources import build_resources
    from shopping_assets.settings import Settings

    for name, value in {
        "SHOPPING_DEPLOYMENT": "prod",
        "SNOWFLAKE_ACCOUNT": "acme-xy12345",
        "SNOWFLAKE_USER": "SHOPPING_PIPELINE_SVC",
        "SNOWFLAKE_ROLE": "SHOPPING_PIPELINE",
        "SNOWFLAKE_WAREHOUSE": "SHOPPING_WH",
        "SNOWFLAKE_PRIVATE_KEY_PATH": "/run/secrets/key-9f1c.p8",
        "SNOWFLAKE_PRIVATE_KEY_PASSWORD": "pk-pw-3e77aa",
    }.items():
        monkeypatch.setenv(name, value)
    resources = build_resources(Settings.from_env())
    pandas_io, snowflake = resources[IO_MANAGER_KEY], resources["warehouse"].snowflake

    assert pandas_io.private_key_path == dg.EnvVar("SNOWFLAKE_PRIVATE_KEY_PATH")
    assert pandas_io.private_key_password == dg.EnvVar("SNOWFLAKE_PRIVATE_KEY_PASSWORD")
    assert pandas_io.password is None and pandas_io.private_key is None
    for field in ("account", "user", "role", "warehouse", "database", "additional_snowflake_connection_args"):
        assert getattr(pandas_io, field) == getattr(snowflake, field), field
    assert (pandas_io.schema_, pandas_io.role, pandas_io.warehouse) == ("MART", "SHOPPING_PIPELINE", "SHOPPING_WH")
    # the config Dagster keeps and shows for it (the UI's resource page, a run's config) names the variables
    shown = pandas_io.get_resource_definition().config_schema.default_value
    assert shown["private_key_path"] == {"env": "SNOWFLAKE_PRIVATE_KEY_PATH"}
    assert shown["private_key_password"] == {"env": "SNOWFLAKE_PRIVATE_KEY_PASSWORD"}
    assert "pk-pw-3e77aa" not in repr(shown) + repr(pandas_io) and "key-9f1c" not in repr(shown) + repr(pandas_io)


def test_the_asset_says_what_it_is_and_runs_weekly():
    from shopping_assets.definitions import build_definitions
    from shopping_assets.settings import Settings

    defs = build_definitions(Settings.from_env())
    graph = defs.resolve_asset_graph()
    node = graph.get(AssetKey("weekly_summary"))
    assert node.kinds >= {"snowflake", "pandas"} and node.group_name == "mart" and node.owners
    assert node.metadata["dagster/column_schema"] == tables.WEEKLY_SUMMARY.column_schema()
    assert {k.to_user_string() for k in node.parent_keys} == {"purchase_counts_by_week"}
    for job in ("weekly_job", "publish_job"):
        assert AssetKey("weekly_summary") in defs.resolve_job_def(job).asset_layer.selected_asset_keys
