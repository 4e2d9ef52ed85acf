"""The bucket sensor, against the real embedded S3 server: new, changed and deleted objects."""

from __future__ import annotations

import functools
import io
import json
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from dagster import (
    DefaultSensorStatus,
    PartitionKeyRange,
    RunRequest,
    SensorResult,
    build_sensor_context,
)

from shopping_assets.defs import bucket_sensor as sensors
from shopping_assets.defs.jobs import bucket_transactions_job
from shopping_assets.instance import MONTH_ORDER_QUEUE, MonthOrderQueueMissing
from shopping_assets.partitions import RANGE_END, RANGE_START, monthly_partitions
from shopping_assets.resources import lake as lake_module
from shopping_assets.resources.lake import Lake
from shopping_assets.settings import Settings
from shopping_assets_tests.conftest import instance_on

MONTHLY = monthly_partitions(replace(Settings.from_env(), first_month="2015-01"))
new_transaction_files = sensors.bucket_sensor(MONTHLY)


class Objects:
    """Writes and deletes objects under the lake's prefix."""

    def __init__(self, lake: Lake) -> None:
        self.lake, self.client = lake, lake.client()

    def __call__(self, key: str, body: str = '{"customer_id": "C1"}\n') -> None:
        self.client.put_object(Bucket=self.lake.bucket, Key=self.lake.prefix + key, Body=body.encode())

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.lake.bucket, Key=self.lake.prefix + key)


@pytest.fixture
def put(lake: Lake) -> Objects:
    return Objects(lake)


def evaluate(instance, lake: Lake, cursor: str | None) -> tuple[list[str], str | None, SensorResult]:
    """(months loaded, new cursor, result) of one evaluation."""
    # A context manager: the lake's S3 dependency is a generator resource.
    with build_sensor_context(cursor=cursor, resources={"lake": lake}, instance=instance) as context:
        result = new_transaction_files(context)
    loads = [m for r in result.run_requests or [] if r.job_name == bucket_transactions_job.name for m in months(r)]
    return loads, result.cursor, result


@pytest.fixture
def tick(instance):
    """One evaluation of the sensor on the instance the CLI writes: tick(lake, cursor)."""
    return functools.partial(evaluate, instance)


def months(request: RunRequest) -> list[str]:
    """The months a run covers: its partition, or its range."""
    if request.partition_key:
        return [request.partition_key]
    return MONTHLY.get_partition_keys_in_range(PartitionKeyRange(request.tags[RANGE_START], request.tags[RANGE_END]))


def runs(result: SensorResult) -> list[tuple[str, list[str]]]:
    """(job, months) of every requested run, in the order requested."""
    return [(r.job_name, months(r)) for r in result.run_requests or []]


def test_new_changed_and_deleted_objects_request_exactly_their_months(lake: Lake, put: Objects, tick):
    put("transactions/2025/02/2025-02-27.json")
    put("transactions/2025/02/2025-02-28.json")
    put("transactions/2025/03/2025-03-01.json")
    put("transactions/README.txt")  # not in a month folder: ignored
    put("reference/customers.csv", "customer_id,loyalty_score\n")  # not under transactions/

    months, cursor, _ = tick(lake, None)
    assert months == ["2025-02-01", "2025-03-01"]

    months, same, result = tick(lake, cursor)  # nothing new
    assert months == [] and same == cursor and result.skip_reason

    put("transactions/2025/04/2025-04-02.json")  # another month
    months, cursor, _ = tick(lake, cursor)
    assert months == ["2025-04-01"]

    put("transactions/2025/02/2025-02-28.json")  # the same bytes again: same ETag, nothing to do
    assert tick(lake, cursor)[0] == []

    put("transactions/2025/02/2025-02-28.json", '{"customer_id": "C2"}\n')  # rewritten
    put("transactions/2025/03/2025-03-15.json")  # a late file for a day that sorts before others
    months, cursor, result = tick(lake, cursor)
    assert months == ["2025-02-01", "2025-03-01"]
    assert runs(result) == [  # one run for the two consecutive months, then April's snapshot
        ("bucket_transactions_job", ["2025-02-01", "2025-03-01"]),
        ("snapshot_job", ["2025-04-01"]),  # March's last day may date purchases in April
    ]

    put.delete("transactions/2025/04/2025-04-02.json")  # the month emptied: reload it (to no rows)
    months, cursor, _ = tick(lake, cursor)
    assert months == ["2025-04-01"]
    assert sorted(json.loads(cursor)["months"]) == ["2025-02-01", "2025-03-01"]
    assert tick(lake, cursor)[0] == []


def test_run_keys_make_a_repeated_tick_harmless_but_not_a_repeated_change(lake: Lake, put: Objects, tick):
    put("transactions/2025/02/2025-02-01.json", "a\n")
    _, first, _ = tick(lake, None)

    put("transactions/2025/02/2025-02-01.json", "b\n")
    _, second, result = tick(lake, first)
    _, _, retried = tick(lake, first)  # the same tick evaluated again (cursor not saved): same keys
    assert [r.run_key for r in retried.run_requests] == [r.run_key for r in result.run_requests]

    put("transactions/2025/02/2025-02-01.json", "a\n")  # back to the first contents
    _, _, back = tick(lake, second)
    assert back.run_requests[0].partition_key == "2025-02-01"
    assert back.run_requests[0].run_key != result.run_requests[0].run_key
    _, _, initial = tick(lake, None)
    assert back.run_requests[0].run_key != initial.run_requests[0].run_key  # same digest, later seq


def test_months_that_are_not_partitions_are_not_requested_and_not_forgotten(lake: Lake, put: Objects, tick):
    put("transactions/2014/12/2014-12-31.json")  # before SHOPPING_FIRST_MONTH (2015-01)
    put("transactions/2099/01/2099-01-01.json")  # far future
    put("transactions/2025/13/2025-13-01.json")  # not a month
    months, cursor, result = tick(lake, None)
    assert months == [] and result.skip_reason
    assert cursor is None  # nothing recorded: looked at again on every tick, loaded once a partition


def test_a_changed_month_refreshes_the_next_months_snapshot_after_it_all_in_month_order(lake: Lake, put: Objects, tick):
    put("transactions/2025/01/2025-01-31.json")
    put("transactions/2025/02/2025-02-01.json")
    put("transactions/2024/12/2024-12-31.json")
    _, cursor, result = tick(lake, None)
    # consecutive months: one run of the range, whose graph writes each snapshot after the month before loads
    assert runs(result) == [("bucket_transactions_job", ["2024-12-01", "2025-01-01", "2025-02-01"])]

    put("transactions/2024/12/2024-12-31.json", '{"customer_id": "C2"}\n')  # across a year end
    put("transactions/2025/01/2025-01-31.json", '{"customer_id": "C2"}\n')
    _, cursor, result = tick(lake, cursor)
    assert runs(result) == [
        ("bucket_transactions_job", ["2024-12-01", "2025-01-01"]),  # across a year end, reloaded whole
        ("snapshot_job", ["2025-02-01"]),
    ]
    # one run at a time, oldest first (the instance's run queue), so February's snapshot follows January's load
    assert all(r.tags[MONTH_ORDER_QUEUE] == "new_transaction_files" for r in result.run_requests)

    put("transactions/2024/12/2024-12-30.json")  # months apart: a run each
    put.delete("transactions/2025/02/2025-02-01.json")  # the last month: no later snapshot to refresh
    assert runs(tick(lake, cursor)[2]) == [
        ("bucket_transactions_job", ["2024-12-01"]),
        ("snapshot_job", ["2025-01-01"]),
        ("bucket_transactions_job", ["2025-02-01"]),
    ]


def test_the_sensor_refuses_an_instance_without_the_month_order_queue(lake: Lake, put: Objects, tmp_path: Path):
    put("transactions/2025/02/2025-02-27.json")
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    bare = instance_on(tmp_path)
    with pytest.raises(MonthOrderQueueMissing, match="run_queue"):
        evaluate(bare, lake, None)
    bare.dispose()


def test_a_late_change_to_a_months_last_day_reaches_the_next_months_published_snapshot(
    make_pipeline, tmp_path: Path, tick
):
    """January's last file gains a purchase dated 1 February; the sensor's runs put it in February's snapshot."""
    from shopping_assets_tests.test_data_quality import good, write_folder

    january = good("C1", (("P01", 5),), "2024-01-31 12:00:00")
    root = write_folder(
        tmp_path / "in",
        {"2024-01-31": january.encode(), "2024-02-01": good("C2", (("P02", 4),), "2024-02-01 09:00:00").encode()},
    )
    pipeline = make_pipeline(root)
    pipeline.materialise(["2024-01-01", "2024-02-01"])
    lake = pipeline.definitions().resources["lake"]
    _, cursor, _ = tick(lake, None)

    def february() -> dict[tuple[str, str], int]:
        table = pq.read_table(
            io.BytesIO(
                lake.client()
                .get_object(
                    Bucket=lake.bucket,
                    Key=lake.prefix + "exports/purchase_counts_by_month/month=2024-02/purchase_counts.parquet",
                )["Body"]
                .read()
            )
        )
        return {(r["customer_id"], r["product_id"]): r["purchase_count"] for r in table.to_pylist()}

    assert february() == {("C2", "P02"): 1}
    late = good("C1", (("P02", 3),), "2024-02-01 00:05:00")  # past midnight, in January's last file
    put = Objects(lake)
    put("transactions/2024/01/2024-01-31.json", f"{january}\n{late}\n")
    _, _, result = tick(lake, cursor)
    assert runs(result) == [("bucket_transactions_job", ["2024-01-01"]), ("snapshot_job", ["2024-02-01"])]

    pipeline.run("bucket_transactions_job", "2024-01-01")
    assert february() == {("C2", "P02"): 1}  # January's run alone leaves February's snapshot stale
    pipeline.run("snapshot_job", "2024-02-01")
    assert february() == {("C2", "P02"): 1, ("C1", "P02"): 1}


def test_listing_follows_pagination(lake: Lake, put: Objects, monkeypatch: pytest.MonkeyPatch, tick):
    # Pages of 2 instead of S3's 1000: the same continuation-token path without 1000 uploads.
    monkeypatch.setattr(lake_module, "LIST_PAGE_SIZE", 2)
    keys = [f"transactions/2024/{m:02d}/2024-{m:02d}-{d:02d}.json" for m in (1, 2, 3) for d in (1, 2, 3)]
    for key in keys:
        put(key)
    months, cursor, _ = tick(lake, None)
    assert months == ["2024-01-01", "2024-02-01", "2024-03-01"]
    assert sensors.month_digests(lake)[0] == json.loads(cursor)["months"]
    put(keys[-1], "changed")  # the last key listed, on the fifth page
    assert tick(lake, cursor)[0] == ["2024-03-01"]


def test_the_sensor_is_off_by_default_and_never_rewrites_the_bucket(settings):
    from shopping_assets.definitions import build_definitions

    defs = build_definitions(settings)
    assert defs.resolve_sensor_def("new_transaction_files").default_status == DefaultSensorStatus.STOPPED
    job = defs.resolve_job_def(bucket_transactions_job.name)
    selected = {key.to_user_string() for key in job.asset_layer.selected_asset_keys}
    # Not transaction_objects: it mirrors the input folder into the bucket and would delete new objects.
    assert selected == {
        "raw_transaction_lines",
        "transaction_items",
        "transaction_quarantine",
        "purchase_counts",
        "purchase_counts_by_week",
        "purchase_counts_by_month",
        "purchase_counts_by_week_as_purchased",
        "purchase_counts_by_month_as_purchased",
        "purchase_counts_snapshot",
        "weekly_summary",
    }
