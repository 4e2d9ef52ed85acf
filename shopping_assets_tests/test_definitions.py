"""The Dagster definitions load, and every asset tells a user what it is."""

from __future__ import annotations

from dagster import AssetKey

from shopping_assets.definitions import defs
from shopping_assets.partitions import MONTHLY

CHAIN = [
    "customers_file", "products_file", "transaction_files",
    "customers_object", "products_object", "transaction_objects",
    "raw_customers", "raw_products", "raw_transaction_lines",
    "transaction_items", "purchase_counts",
]  # fmt: skip


def test_definitions_load_with_every_stage_of_the_chain():
    graph = defs.resolve_asset_graph()
    assert {key.to_user_string() for key in graph.get_all_asset_keys()} >= set(CHAIN)
    for job in ("reference_job", "transactions_job", "publish_job", "snapshot_job", "weekly_job", "audit_job"):
        assert defs.resolve_job_def(job)


def test_every_asset_has_a_description_kinds_and_a_group():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, key
        assert node.kinds, key
        assert node.group_name and node.group_name != "default", key


def test_transaction_assets_share_the_monthly_partitions():
    graph = defs.resolve_asset_graph()
    for name in ("transaction_files", "transaction_objects", "raw_transaction_lines", "transaction_items"):
        assert graph.get(AssetKey(name)).partitions_def == MONTHLY
    assert MONTHLY.get_partition_keys()[0] == "2015-01-01"


def test_the_view_depends_on_everything_it_reads():
    graph = defs.resolve_asset_graph()
    parents = {k.to_user_string() for k in graph.get(AssetKey("purchase_counts")).parent_keys}
    assert parents == {"transaction_items", "raw_customers", "raw_products"}
