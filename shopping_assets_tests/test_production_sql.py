"""Production Snowflake, proven without an account: every statement as production sends it,
the privileges it needs against bootstrap's grants, and the Snowflake behaviours the SQL
must not depend on (account defaults, lenient JSON, casts evaluated early, batch widths)."""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot
from sqlglot import exp

from shopping_assets import export, tables
from shopping_assets import statements as sql
from shopping_assets.bootstrap import audit, plan
from shopping_assets.bootstrap.config import BootstrapConfig
from shopping_assets.bootstrap.steps import resolve
from shopping_assets.settings import Settings

logging.getLogger("sqlglot").setLevel(logging.ERROR)  # it warns on SHOW, which it keeps as a Command


@pytest.fixture
def config(monkeypatch) -> BootstrapConfig:
    for name in ("SHOPPING_S3_PREFIX", "SNOWFLAKE_DATABASE", "SNOWFLAKE_ROLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SHOPPING_DEPLOYMENT", "prod")
    return BootstrapConfig.from_env(environ={}, settings=replace(Settings.from_env(), prefix="team/shopping/"))


def _parsed(text: str) -> exp.Expression:
    return sqlglot.parse_one(text, read="snowflake")


# --- every statement, as the connector sends it -------------------------------------


def test_every_production_statement_binds_and_parses_as_snowflake(config):
    statements = [s.text for s in audit.run_time_statements(config)]
    context = {
        "aws_account_id": "123456789012",
        "storage_aws_iam_user_arn": "arn:aws:iam::1:user/x",
        "storage_aws_external_id": "X",
    }
    for step in plan.sql_steps(plan.build(config)):
        values = {k: ("MIIBIjAN..." if k == "public_key" else resolve(v, context)) for k, v in step.params.items()}
        statements.append(sql.bind(step.sql, values))
    sources = {s.source for s in audit.run_time_statements(config)} | {
        s.source for s in plan.sql_steps(plan.build(config))
    }
    # both statements the emulator replaces are among them, in their production form
    assert {"raw/transaction_lines_copy", "setup/03_stage"} <= sources
    for text in statements:
        assert "%(" not in text, text
        parsed = _parsed(text)
        if isinstance(parsed, exp.Command):  # what sqlglot keeps opaque: bootstrap's and doctor's shapes
            assert re.match(r"(GRANT|CREATE (ROLE|USER)|ALTER (USER|STORAGE INTEGRATION)|SHOW) ", text), text
    copy = next(t for t in statements if "METADATA$FILE_ROW_NUMBER" in t)
    assert "FILES = ('transactions/2024/01/2024-01-01.json','transactions/2024/01/2024-01-02.json')" in copy
    stage = next(t for t in statements if "INPUT_STAGE" in t and t.startswith("CREATE OR ALTER STAGE"))
    assert "URL = 's3://shopping-patterns/team/shopping/'" in stage and "STORAGE_INTEGRATION = SHOPPING_S3" in stage


# --- finding 1: the run-time path runs nothing its role may not ------------------------


def test_the_audit_finds_every_privilege_granted(config, capsys):
    assert audit.findings(config) == []
    statements = audit.run_time_statements(config)
    sources = {s.source for s in statements}
    assert {
        "raw/transaction_lines_copy",
        "mart/purchase_counts",
        "export/table",
        "reader/purchases_between_weeks",
        "doctor/probe_lines_table",
    } <= sources
    assert not any(s.startswith(("setup/", "bootstrap/")) for s in sources)
    assert {s.role for s in statements} == {"SHOPPING_PIPELINE", "SHOPPING_READER"}


def test_the_audit_names_what_the_old_run_time_setup_needed(config):
    """The setup the pipeline used to run at the start of every session, as its own role."""
    old = {
        "setup/01_schemas": "CREATE SCHEMA IF NOT EXISTS SHOPPING.RAW",
        "setup/02_file_formats": "CREATE FILE FORMAT IF NOT EXISTS SHOPPING.RAW.CSV_FORMAT TYPE = CSV SKIP_HEADER = 1",
        "setup/04_tables": "CREATE TABLE IF NOT EXISTS SHOPPING.RAW.CUSTOMERS (CUSTOMER_ID VARCHAR)",
        "setup/05_staging_views": (
            "CREATE OR REPLACE VIEW SHOPPING.STAGING.CUSTOMERS AS SELECT * FROM SHOPPING.RAW.CUSTOMERS"
        ),
    }
    statements = [audit.Statement(source, text, "SHOPPING_PIPELINE") for source, text in old.items()]
    assert audit.findings(config, statements) == [
        "sql/setup/01_schemas.sql: CREATE SCHEMA on DATABASE SHOPPING: not granted to SHOPPING_PIPELINE",
        "sql/setup/02_file_formats.sql: CREATE FILE FORMAT on SCHEMA SHOPPING.RAW: not granted to SHOPPING_PIPELINE",
        "sql/setup/04_tables.sql: CREATE TABLE on SCHEMA SHOPPING.RAW: not granted to SHOPPING_PIPELINE",
        "sql/setup/05_staging_views.sql: CREATE VIEW on SCHEMA SHOPPING.STAGING: not granted to SHOPPING_PIPELINE",
        "sql/setup/05_staging_views.sql: OWNERSHIP on VIEW SHOPPING.STAGING.CUSTOMERS: "
        "not granted to SHOPPING_PIPELINE",
    ]


def test_the_audit_notices_a_grant_bootstrap_no_longer_makes(config, monkeypatch):
    original = sql.statements

    def without_integration_usage(name: str) -> tuple[str, ...]:
        found = original(name)
        return tuple(s for s in found if "INTEGRATION" not in s) if name == "bootstrap/06_grants_loader" else found

    monkeypatch.setattr(sql, "statements", without_integration_usage)
    assert audit.findings(config) == [
        "sql/doctor/stage_listing.sql: USAGE on INTEGRATION SHOPPING_S3: not granted to SHOPPING_PIPELINE",
        "sql/raw/reference_copy.sql: USAGE on INTEGRATION SHOPPING_S3: not granted to SHOPPING_PIPELINE",
        "sql/raw/transaction_lines_copy.sql: USAGE on INTEGRATION SHOPPING_S3: not granted to SHOPPING_PIPELINE",
    ]


def test_the_audit_checks_what_the_pandas_io_manager_sends_from_library_code(config, monkeypatch):
    """Its statements are not in sql/: the audit reads them from bootstrap/io_manager.py."""
    declared = audit.library_statements(config)
    assert {s.role for s in declared} == {"SHOPPING_PIPELINE"}
    assert any(s.text.startswith("CREATE TEMP STAGE") for s in declared)
    assert any(s.text.startswith("PUT ") for s in declared)
    original = sql.statements

    def without_mart_creates(name: str) -> tuple[str, ...]:
        found = original(name)
        if name != "bootstrap/07_grants_transformer":
            return found
        return tuple(s.replace(", CREATE TABLE, CREATE STAGE, CREATE FILE FORMAT", "") for s in found)

    monkeypatch.setattr(sql, "statements", without_mart_creates)
    not_granted = ": not granted to SHOPPING_PIPELINE"
    assert audit.findings(config) == [
        f"sql/doctor/pandas_write_objects.sql: CREATE STAGE on SCHEMA SHOPPING.MART{not_granted}",
        f"sql/doctor/pandas_write_objects.sql: CREATE FILE FORMAT on SCHEMA SHOPPING.MART{not_granted}",
        f"snowflake.connector.pandas_tools: _create_temp_stage: CREATE STAGE on SCHEMA SHOPPING.MART{not_granted}",
        "snowflake.connector.pandas_tools: _create_temp_file_format: CREATE FILE FORMAT on SCHEMA SHOPPING.MART"
        + not_granted,
        "snowflake.connector.pandas_tools: write_pandas (create_table_sql): CREATE TABLE on SCHEMA SHOPPING.MART"
        + not_granted,
    ]


def test_bootstrap_audit_exits_0_only_when_clean(config, monkeypatch, capsys):
    from shopping_assets.cli import main

    assert main(["bootstrap", "--audit"]) == 0
    assert "every privilege is granted" in capsys.readouterr().out
    monkeypatch.setattr(
        audit, "findings", lambda config, statements=None: ["sql/x.sql: SELECT on TABLE T: not granted"]
    )
    assert main(["bootstrap", "--audit"]) == 1
    assert "sql/x.sql: SELECT on TABLE T: not granted" in capsys.readouterr().out


# --- findings 4, 7, 8, 9: what the SQL must not leave to Snowflake's defaults -------------


def _options(statement: str) -> dict[str, str]:
    return {k.upper(): v for k, v in re.findall(r"^\s+([A-Z_]+) = (.+?)$", statement, re.MULTILINE)}


def test_file_formats_set_every_option_the_loads_rely_on_and_update_an_existing_format():
    csv_format, line_format = sql.render("setup/02_file_formats", {"database": "SHOPPING"})
    for statement in (csv_format, line_format):
        assert statement.startswith("CREATE OR ALTER FILE FORMAT")  # IF NOT EXISTS would never update one
        options = _options(statement.replace(";", ""))
        for name, value in {
            "RECORD_DELIMITER": r"'\n'",
            "SKIP_BYTE_ORDER_MARK": "TRUE",
            "ENCODING": "'UTF8'",
            "ESCAPE_UNENCLOSED_FIELD": "NONE",
            "NULL_IF": "()",
            "ESCAPE": "NONE",
            "TRIM_SPACE": "FALSE",
            "SKIP_BLANK_LINES": "FALSE",
        }.items():
            assert options.get(name) == value, (name, statement)
    assert (
        _options(line_format)["FIELD_DELIMITER"] == "NONE" and _options(line_format)["EMPTY_FIELD_AS_NULL"] == "FALSE"
    )
    assert _options(csv_format)["FIELD_OPTIONALLY_ENCLOSED_BY"] == "'\"'"


def _casts_that_can_raise(tree: exp.Expression) -> list[str]:
    """Casts Snowflake may evaluate on a bad value: every one must be a TRY_ form, but for a
    bound value, a VARIANT read as text, or the typed purchase time as a date."""
    found = []
    for node in tree.find_all(exp.Cast, exp.ToNumber, exp.TsOrDsToDate, exp.Anonymous):
        if isinstance(node, exp.TryCast) or node.args.get("safe"):
            continue
        operand = node.this
        if isinstance(node, exp.Anonymous):
            if node.name.upper().startswith("TO_"):
                found.append(node.sql("snowflake"))
            continue
        if not isinstance(node, exp.Cast):  # TO_NUMBER, TO_DATE
            if not isinstance(operand, exp.Literal):
                found.append(node.sql("snowflake"))
            continue
        typed = isinstance(operand, exp.Column) and operand.name.upper() == "PURCHASED_AT"
        if not (isinstance(operand, exp.Literal) or typed or node.to.is_type("varchar")):
            found.append(node.sql("snowflake"))
    return found


def test_run_time_sql_keeps_to_utc_try_casts_and_qualified_temporary_tables(config):
    for statement in audit.run_time_statements(config):
        tree = _parsed(statement.text)
        assert _casts_that_can_raise(tree) == [], statement.source
        assert not re.search(r"CURRENT_TIMESTAMP|LOCALTIMESTAMP|GETDATE|SYSTIMESTAMP", statement.text), statement.source
        if isinstance(tree, exp.Create) and "TEMPORARY" in statement.text:
            table = tree.find(exp.Table)
            assert (table.catalog, table.db) in {("SHOPPING", s) for s in ("RAW", "STAGING", "MART")}, statement.source
    # the checks that would have caught the old statements
    assert _casts_that_can_raise(_parsed("SELECT PURCHASED_TEXT::TIMESTAMP_NTZ, TO_NUMBER(PRICE_TEXT) FROM T")) == [
        "CAST(PURCHASED_TEXT AS TIMESTAMPNTZ)",
        "TO_NUMBER(PRICE_TEXT)",
    ]
    loyalty = next(s for s in sql.statements("setup/05_staging_views") if "CUSTOMER_CHECKS" in s)
    assert "'[0-9]{1,38}'" in loyalty and "TRY_TO_NUMBER(TRIM(LOYALTY_SCORE))" in loyalty


def test_the_pipelines_sessions_bound_the_lock_wait_and_skip_the_platform_probe(monkeypatch):
    from shopping_assets.resources.snowflake import snowflake_resource

    monkeypatch.setenv("SHOPPING_LOCK_TIMEOUT", "45")
    for deployment in ("local", "prod"):
        monkeypatch.setenv("SHOPPING_DEPLOYMENT", deployment)
        resource = snowflake_resource(Settings.from_env())
        parameters = resource.additional_snowflake_connection_args["session_parameters"]
        assert parameters["LOCK_TIMEOUT"] == 45 and parameters["QUERY_TAG"] == "shopping-pipeline"
        assert resource.additional_snowflake_connection_args["platform_detection_timeout_seconds"] == 0.0


def test_a_session_logs_in_without_probing_cloud_platforms(pipeline, monkeypatch):
    from snowflake.connector import platform_detection

    probed = []
    for probe in ("is_ec2_instance", "has_aws_identity", "is_azure_vm", "is_gce_vm", "has_gcp_identity"):
        monkeypatch.setattr(platform_detection, probe, lambda *_, probe=probe: probed.append(probe))
    assert pipeline.query("SELECT 1") == [(1,)]
    assert probed == []


# --- finding 2: Arrow batches of differing integer widths ---------------------------------


class _Batches:
    """A result in the shape Snowflake sends it: each batch typed for its own values."""

    def __init__(self, *batches: pa.Table):
        self.batches = batches
        self.description = [("CUSTOMER_ID",), ("PURCHASE_COUNT",)]

    def fetch_arrow_batches(self):
        yield from self.batches


class _Warehouse:
    def __init__(self, cursor):
        self.cursor = cursor

    @contextmanager
    def session(self):
        class Session:
            def run(_, name, identifiers=None, **params):
                return self.cursor

        yield Session()


def test_batches_of_differing_integer_widths_are_cast_to_the_declared_schema(tmp_path):
    """The emulator sends one batch; Snowflake may send int8, then int16, then decimal (issue 1170)."""

    def batch(values, type_):
        return pa.table(
            {"CUSTOMER_ID": [f"C{v}" for v in range(len(values))], "PURCHASE_COUNT": pa.array(values, type_)}
        )

    cursor = _Batches(
        batch([1, 2], pa.int8()),
        batch([300, 4], pa.int16()),
        batch([5], pa.decimal128(38, 0)),
        batch([6.0], pa.float64()),
    )
    schema = pa.schema([("customer_id", pa.string()), ("purchase_count", pa.int64())])
    out = tmp_path / "counts.parquet"
    assert export.write(export.sql_batches(_Warehouse(cursor), "export/table", schema), [out]) == 6
    written = pq.read_table(out)
    assert written.schema == schema and written["purchase_count"].to_pylist() == [1, 2, 300, 4, 5, 6]
    with pytest.raises(pa.ArrowInvalid):  # a value the declared type cannot hold is an error, not a rounding
        list(export.sql_batches(_Warehouse(_Batches(batch([1.5], pa.float64()))), "export/table", schema))


def test_every_exported_table_declares_a_schema_for_its_columns():
    for table, order in export.EXPORTABLE.values():
        schema = table.arrow_schema()
        assert schema.names == [c.name.lower() for c in table.columns]
        assert set(order.replace(" ", "").split(",")) <= {c.name for c in table.columns}
    assert tables.PURCHASE_COUNTS.arrow_schema().field("purchase_count").type == pa.int64()


# --- on the emulator: what the SQL does with what Snowflake may hand it -----------------


def test_a_cr_left_on_a_reference_rows_last_field_is_not_part_of_its_value(pipeline):
    """A CRLF file read with a bare LF delimiter leaves a CR on each row's last field."""
    pipeline.query("INSERT INTO {db}.RAW.CUSTOMERS (CUSTOMER_ID, LOYALTY_SCORE) VALUES ('C1', '7\r'), ('C2', '10\r')")
    pipeline.query("INSERT INTO {db}.RAW.PRODUCTS VALUES ('P01', 'men''s trousers', 'clothes\r', NULL, NULL)")
    assert pipeline.query("SELECT CUSTOMER_ID, LOYALTY_SCORE, REASON FROM {db}.STAGING.CUSTOMER_CHECKS ORDER BY 1") == [
        ("C1", "7", None),
        ("C2", "10", None),
    ]
    assert sorted(pipeline.query("SELECT CUSTOMER_ID, LOYALTY_SCORE FROM {db}.STAGING.CUSTOMERS")) == [
        ("C1", 7),
        ("C2", 10),
    ]
    assert pipeline.query("SELECT PRODUCT_CATEGORY FROM {db}.STAGING.PRODUCTS") == [("clothes",)]


def test_a_held_load_lock_fails_the_wait_naming_the_lock(pipeline):
    from shopping_assets.resources.warehouse import LoadLockBusy

    warehouse = pipeline.warehouse()
    with warehouse.session() as holder, holder.transaction():
        with pytest.raises(LoadLockBusy, match=r"LOAD_LOCK was not free within 120 s \(SHOPPING_LOCK_TIMEOUT\)"):
            with warehouse.session() as waiter, waiter.transaction():
                pass
    with warehouse.session() as session, session.transaction():  # free again once the holder commits
        pass


def test_loaded_rows_are_stamped_in_utc(make_pipeline, tmp_path):
    from datetime import datetime

    from shopping_assets_tests.test_data_quality import good, write_folder

    pipeline = make_pipeline(write_folder(tmp_path / "in", {"2024-05-01": (good() + "\n").encode()}))
    pipeline.run_job("reference_job")
    pipeline.run_job("transactions_job", "2024-05-01")
    now = datetime.now(UTC).replace(tzinfo=None)
    for table, column in (("RAW.TRANSACTION_LINES", "LOADED_AT"), ("RAW.CUSTOMERS", "LOADED_AT")):
        (stamp,) = pipeline.query(f"SELECT MAX({column}) FROM {{db}}.{table}")[0]
        assert abs((now - stamp).total_seconds()) < 600, (table, stamp, now)
