"""The Dagster definitions load, as dg loads them, and every asset tells a user what it is."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from dagster import AssetKey

from shopping_assets.definitions import build_definitions
from shopping_assets.partitions import monthly_partitions
from shopping_assets.settings import Settings

PROJECT = Path(__file__).resolve().parents[1]
CHAIN = [
    "customers_file",
    "products_file",
    "transaction_files",
    "customers_object",
    "products_object",
    "transaction_objects",
    "raw_customers",
    "raw_products",
    "raw_transaction_lines",
    "transaction_items",
    "purchase_counts",
]


@pytest.fixture(scope="module")
def defs():
    return build_definitions(Settings.from_env())


def test_definitions_load_with_every_stage_of_the_chain(defs):
    graph = defs.resolve_asset_graph()
    assert {key.to_user_string() for key in graph.get_all_asset_keys()} >= set(CHAIN)
    for job in ("reference_job", "transactions_job", "publish_job", "snapshot_job", "weekly_job", "audit_job"):
        assert defs.resolve_job_def(job)


def test_every_asset_has_a_description_kinds_and_a_group(defs):
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, key
        assert node.kinds, key
        assert node.group_name and node.group_name != "default", key


def test_every_asset_names_its_owners_code_and_where_its_data_lives(defs):
    """What the UI shows on an asset's page: owners, a code version, links to its Python and
    SQL, and its warehouse table with columns or its place in the bucket."""
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node, name = graph.get(key), key.to_user_string()
        assert node.owners == ["team:shopping-data"] and node.code_version, name
        references = node.metadata["dagster/code_references"].code_references
        assert any(r.file_path.endswith(".py") and Path(r.file_path).exists() for r in references), name
        if "snowflake" in node.kinds:
            assert node.metadata["dagster/table_name"].startswith(f"{Settings.from_env().database}."), name
            assert node.metadata["dagster/column_schema"].schema.columns, name
            assert any(r.file_path.endswith(".sql") and Path(r.file_path).exists() for r in references), name
        elif "s3" in node.kinds:
            assert node.metadata["dagster/uri"].startswith("s3://"), name


def test_transaction_assets_share_the_monthly_partitions(defs):
    graph = defs.resolve_asset_graph()
    monthly = monthly_partitions(Settings.from_env())
    for name in ("transaction_files", "transaction_objects", "raw_transaction_lines", "transaction_items"):
        assert graph.get(AssetKey(name)).partitions_def == monthly


def test_the_view_depends_on_everything_it_reads(defs):
    graph = defs.resolve_asset_graph()
    parents = {k.to_user_string() for k in graph.get(AssetKey("purchase_counts")).parent_keys}
    assert parents == {"transaction_items", "raw_customers", "raw_products"}


def test_loading_the_code_location_leaves_the_collector_on_and_its_imports_out_of_its_passes():
    import gc

    import shopping_assets.definitions  # noqa: F401 (imported above too: what it left behind)

    assert gc.isenabled()
    assert gc.get_freeze_count() > 100_000  # Dagster's and the Snowflake libraries' objects


def test_dg_checks_and_lists_the_code_location():
    """What a new user runs first: both must see the project's one code location."""
    dg = PROJECT / ".venv" / "bin" / "dg"
    # side by side: each loads the code location in a process of its own
    commands = {"check": [dg, "check", "defs"], "list": [dg, "list", "defs", "--json"]}
    started = {
        name: subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name, command in commands.items()
    }
    try:
        (checked, check_errors), (listed, list_errors) = (
            process.communicate(timeout=180) for process in started.values()
        )
    finally:
        for process in started.values():
            process.kill()
            process.wait()
    assert started["check"].returncode == 0 and "All definitions loaded successfully." in checked, check_errors
    assert started["list"].returncode == 0, list_errors
    assert '"transaction_items"' in listed and '"weekly_refresh"' in listed
