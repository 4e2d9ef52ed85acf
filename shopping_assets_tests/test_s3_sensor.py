"""The bucket sensor, against the real embedded S3 server: new, changed and deleted objects."""

from __future__ import annotations

import json
import uuid

import pytest
from dagster import DefaultSensorStatus, Definitions, SensorResult, build_sensor_context
from dagster_aws.s3 import S3Resource

from shopping_assets import sensors
from shopping_assets.resources.lake import Lake
from shopping_assets.sensors import bucket_transactions_job, new_transaction_files


@pytest.fixture
def lake(settings) -> Lake:
    """The session's embedded S3, under a prefix of this test's own."""
    s3 = S3Resource(
        endpoint_url=settings.s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="embedded",
        aws_secret_access_key="embedded",
    )
    return Lake(s3=s3, bucket=settings.bucket, prefix=f"test-{uuid.uuid4().hex[:8]}/", create_bucket=True)


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


def tick(lake: Lake, cursor: str | None) -> tuple[list[str], str | None, SensorResult]:
    # A context manager: the lake's S3 dependency is a generator resource.
    with build_sensor_context(cursor=cursor, resources={"lake": lake}) as context:
        result = new_transaction_files(context)
    return [r.partition_key for r in result.run_requests or []], result.cursor, result


def test_new_changed_and_deleted_objects_request_exactly_their_months(lake: Lake, put: Objects):
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
    months, cursor, _ = tick(lake, cursor)
    assert months == ["2025-02-01", "2025-03-01"]

    put.delete("transactions/2025/04/2025-04-02.json")  # the month emptied: reload it (to no rows)
    months, cursor, _ = tick(lake, cursor)
    assert months == ["2025-04-01"]
    assert sorted(json.loads(cursor)["months"]) == ["2025-02-01", "2025-03-01"]
    assert tick(lake, cursor)[0] == []


def test_run_keys_make_a_repeated_tick_harmless_but_not_a_repeated_change(lake: Lake, put: Objects):
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


def test_months_that_are_not_partitions_are_not_requested_and_not_forgotten(lake: Lake, put: Objects):
    put("transactions/2014/12/2014-12-31.json")  # before SHOPPING_FIRST_MONTH (2015-01)
    put("transactions/2099/01/2099-01-01.json")  # far future
    put("transactions/2025/13/2025-13-01.json")  # not a month
    months, cursor, result = tick(lake, None)
    assert months == [] and result.skip_reason
    assert cursor is None  # nothing recorded: looked at again on every tick, loaded once a partition


def test_listing_follows_pagination(lake: Lake, put: Objects, monkeypatch: pytest.MonkeyPatch):
    # Pages of 2 instead of S3's 1000: the same continuation-token path without 1000 uploads.
    monkeypatch.setattr(sensors, "PAGE_SIZE", 2)
    keys = [f"transactions/2024/{m:02d}/2024-{m:02d}-{d:02d}.json" for m in (1, 2, 3) for d in (1, 2, 3)]
    for key in keys:
        put(key)
    months, cursor, _ = tick(lake, None)
    assert months == ["2024-01-01", "2024-02-01", "2024-03-01"]
    assert sensors.month_digests(lake)[0] == json.loads(cursor)["months"]
    put(keys[-1], "changed")  # the last key listed, on the fifth page
    assert tick(lake, cursor)[0] == ["2024-03-01"]


def test_the_sensor_is_off_by_default_and_never_rewrites_the_bucket(settings):
    from shopping_assets.definitions import ASSETS, CHECKS
    from shopping_assets.resources import build_resources

    assert new_transaction_files.default_status == DefaultSensorStatus.STOPPED
    defs = Definitions(
        assets=ASSETS, asset_checks=CHECKS, sensors=[new_transaction_files], resources=build_resources(settings)
    )
    job = defs.resolve_job_def(bucket_transactions_job.name)
    selected = {key.to_user_string() for key in job.asset_layer.selected_asset_keys}
    # Not transaction_objects: it mirrors the input folder into the bucket and would delete new objects.
    assert selected == {
        "raw_transaction_lines", "transaction_items", "purchase_counts",
        "purchase_counts_by_week", "purchase_counts_by_month", "purchase_counts_snapshot",
    }  # fmt: skip
