"""The weekly schedule asks for exactly the months the past week touched, and its runs load them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from dagster import DagsterInstance, PartitionKeyRange, RunRequest, SkipReason, build_schedule_context

from shopping_assets.defs.schedules import monthly_audit, weekly_schedule
from shopping_assets.instance import (
    INSTANCE_CONFIG,
    MONTH_ORDER_QUEUE,
    PREVIOUS_CONFIGS,
    RUN_QUEUE_CONFIG,
    MonthOrderQueueMissing,
    require_month_order_queue,
)
from shopping_assets.partitions import RANGE_END, RANGE_START, monthly_partitions
from shopping_assets.settings import Settings, SettingsError
from shopping_assets_tests import oracle
from shopping_assets_tests.conftest import instance_on

MONTHLY = monthly_partitions(replace(Settings.from_env(), first_month="2015-01"))


def _tick(instance: DagsterInstance, day: str, hour: int = 6) -> RunRequest | SkipReason:
    when = datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)
    weekly_refresh = weekly_schedule(Settings.weekly_cron, MONTHLY)
    # A context manager: reading context.instance enters an instance until the context exits.
    with build_schedule_context(instance=instance, scheduled_execution_time=when) as context:
        return weekly_refresh(context)


def _months(request: RunRequest) -> list[str]:
    if request.partition_key:
        return [request.partition_key]
    first, last = request.tags[RANGE_START], request.tags[RANGE_END]
    return MONTHLY.get_partition_keys_in_range(PartitionKeyRange(first, last))


@pytest.mark.parametrize(
    ("tick", "months"),
    [
        ("2025-03-03", ["2025-02-01", "2025-03-01"]),  # 2025-02-24..03-02: February and March
        ("2025-03-10", ["2025-03-01"]),  # 03-03..03-09
        ("2025-03-17", ["2025-03-01"]),
        ("2025-03-31", ["2025-03-01"]),  # a Monday on the last day: 03-24..03-30
        ("2025-04-07", ["2025-03-01", "2025-04-01"]),  # 03-31..04-06
        ("2024-12-30", ["2024-12-01"]),  # 12-23..12-29
        ("2025-01-06", ["2024-12-01", "2025-01-01"]),  # across the year end
        ("2024-02-26", ["2024-02-01"]),  # 02-19..02-25 (leap year)
        ("2024-03-04", ["2024-02-01", "2024-03-01"]),  # 02-26..03-03 takes in 29 February
        ("2015-01-05", ["2015-01-01"]),  # December 2014 is before the first partition
    ],
)
def test_a_tick_requests_one_run_of_the_months_the_past_week_touched(instance, tick: str, months: list[str]):
    request = _tick(instance, tick)
    assert _months(request) == months
    assert request.run_key == f"weekly:{tick}T06:00"
    assert request.tags[MONTH_ORDER_QUEUE] == "weekly_refresh"


def test_a_tick_is_idempotent_and_weeks_do_not_share_run_keys(instance):
    first, again = _tick(instance, "2025-03-03"), _tick(instance, "2025-03-03")
    assert first.run_key == again.run_key != _tick(instance, "2025-03-10").run_key


def test_a_tick_before_the_first_partition_skips(instance):
    assert isinstance(_tick(instance, "2014-06-02"), SkipReason)


def test_a_tick_on_an_instance_without_the_month_order_queue_fails_saying_what_to_add(tmp_path):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    bare = instance_on(tmp_path)
    with pytest.raises(MonthOrderQueueMissing) as refused:
        _tick(bare, "2025-03-10")
    bare.dispose()
    assert str(tmp_path / "dagster.yaml") in str(refused.value)
    assert RUN_QUEUE_CONFIG in str(refused.value)


def test_monday_six_utc_by_default_and_the_cron_follows_the_environment(monkeypatch: pytest.MonkeyPatch):
    from shopping_assets.definitions import build_definitions

    monkeypatch.delenv("SHOPPING_WEEKLY_CRON", raising=False)
    schedule = build_definitions(Settings.from_env()).resolve_schedule_def("weekly_refresh")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 6 * * 1", "UTC")
    monkeypatch.setenv("SHOPPING_WEEKLY_CRON", "30 4 * * 2")
    assert build_definitions(Settings.from_env()).resolve_schedule_def("weekly_refresh").cron_schedule == "30 4 * * 2"
    with pytest.raises(SettingsError, match="SHOPPING_WEEKLY_CRON"):
        weekly_schedule("every monday", MONTHLY)


def _definitions(pipeline):
    """The code location, as it deploys, on the test's own database and prefix."""
    return pipeline.definitions()


def test_weekly_job_is_one_partitioned_run_of_the_reference_tables_a_month_and_the_view(make_pipeline):
    job = _definitions(make_pipeline()).resolve_job_def("weekly_job")
    assert job.partitions_def == MONTHLY
    selected = {key.to_user_string() for key in job.asset_layer.selected_asset_keys}
    assert {"raw_customers", "raw_products", "transaction_objects", "transaction_items", "purchase_counts"} <= selected


def test_a_ticks_run_loads_the_month_recreates_the_views_and_publishes_the_month(make_pipeline, instance):
    """One real run (about 10 s on the emulator); the month arithmetic is covered above."""
    pipeline = make_pipeline(generate=True)
    job = _definitions(pipeline).resolve_job_def("weekly_job")
    request = _tick(instance, "2024-03-11")
    result = job.execute_in_process(instance=pipeline.instance, partition_key=request.partition_key)
    events = {e.asset_key.to_user_string(): e for e in result.get_asset_materialization_events()}
    assert events["transaction_items"].partition == "2024-03-01"
    assert events["raw_customers"].partition is None and events["purchase_counts"].partition is None
    assert {"purchase_counts_by_week", "purchase_counts_by_month"} <= set(events)
    expected = pipeline.expected_view()
    assert pipeline.view() == expected != {}
    # the month's snapshot was written after the month loaded, and checked against its basket lines
    assert events["purchase_counts_snapshot"].partition == "2024-03-01"
    march = oracle.purchase_counts_between(pipeline.input_dir, "2024-03-01", "2024-04-01")
    snapshot = events["purchase_counts_snapshot"].event_specific_data.materialization.metadata
    assert (snapshot["dagster/partition_row_count"].value, snapshot["basket lines"].value) == (
        len(march),
        sum(march.values()),
    )
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["matches_basket_lines"] is True
    # nothing that aggregates all of history: those checks are audit_job's
    assert not {"total_matches_items", "reconciles_with_all_time"} & set(checks)


def test_the_monthly_audit_runs_the_whole_history_checks(make_pipeline):
    pipeline = make_pipeline(generate=True)
    pipeline.materialise(["2024-03-01"])
    result = _definitions(pipeline).resolve_job_def("audit_job").execute_in_process(instance=pipeline.instance)
    evaluations = result.get_asset_check_evaluations()
    assert sorted((e.asset_key.to_user_string(), e.check_name, e.passed) for e in evaluations) == [
        ("customers_history", "valid_intervals", True),
        ("products_history", "valid_intervals", True),
        ("purchase_counts", "total_matches_items", True),
        ("purchase_counts_by_month", "reconciles_with_all_time", True),
        ("purchase_counts_by_week", "reconciles_with_all_time", True),
    ]
    assert not result.get_asset_materialization_events()
    assert (monthly_audit.cron_schedule, monthly_audit.execution_timezone) == ("0 7 1 * *", "UTC")


def test_an_audit_fails_its_run_when_the_view_miscounts(make_pipeline):
    pipeline = make_pipeline(generate=True)
    pipeline.materialise(["2024-03-01"])
    # a regression in the view's SQL: FLATTEN's INDEX taken as 1-based, so each basket's first line is lost
    pipeline.query(
        "CREATE OR REPLACE VIEW {db}.MART.PURCHASE_COUNTS AS "
        "SELECT c.CUSTOMER_ID, c.LOYALTY_SCORE, p.PRODUCT_ID, p.PRODUCT_CATEGORY, COUNT(*) AS PURCHASE_COUNT "
        "FROM {db}.STAGING.TRANSACTION_ITEMS AS i "
        "JOIN {db}.STAGING.CUSTOMERS AS c ON c.CUSTOMER_ID = i.CUSTOMER_ID "
        "JOIN {db}.STAGING.PRODUCTS AS p ON p.PRODUCT_ID = i.PRODUCT_ID "
        "WHERE i.ITEM_INDEX > 0 GROUP BY 1, 2, 3, 4"
    )
    outcome = pipeline.run("audit_job", raise_on_error=False)
    assert not outcome.success  # so run_failure_alerts reports it
    total = outcome.checks["purchase_counts.total_matches_items"]
    assert total.passed is False
    assert total.metadata["basket lines counted"].value < total.metadata["known basket lines"].value
    assert outcome.checks["purchase_counts_by_week.reconciles_with_all_time"].passed is False


def test_a_month_end_weeks_run_loads_both_months_then_writes_both_snapshots(make_pipeline, instance):
    """The week 2024-02-26..03-03 spans a month end: one run over the range February..March, whose
    March snapshot counts February's purchases past midnight on its last day; each month's checks
    are recorded for that month."""
    pipeline = make_pipeline(generate=True)
    request = _tick(instance, "2024-03-04")
    assert _months(request) == ["2024-02-01", "2024-03-01"]
    job = _definitions(pipeline).resolve_job_def("weekly_job")
    result = job.execute_in_process(instance=pipeline.instance, tags=request.tags)

    assert result.success
    snapshots = {
        e.partition: e.event_specific_data.materialization.metadata
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "purchase_counts_snapshot"
    }
    for month, end in (("2024-02-01", "2024-03-01"), ("2024-03-01", "2024-04-01")):
        counts = oracle.purchase_counts_between(pipeline.input_dir, month, end)
        assert snapshots[month]["basket lines"].value == sum(counts.values()) > 0
    checked = {(e.check_name, e.partition) for e in result.get_asset_check_evaluations() if e.passed}
    assert {("matches_basket_lines", m) for m in snapshots} | {("lines_accounted_for", m) for m in snapshots} <= checked
    assert pipeline.view() == pipeline.expected_view()


def test_the_cli_writes_an_instance_with_the_month_order_queue(tmp_path, monkeypatch):
    """The instance the CLI creates lets one month-order run at a time, in the order requested,
    and looks at its queue every second."""
    from shopping_assets.cli import dagster_home

    monkeypatch.setenv("DAGSTER_HOME", "")  # restored (or removed) after the test, as dagster_home sets it
    monkeypatch.delenv("DAGSTER_HOME")
    monkeypatch.setenv("SHOPPING_HOME", str(tmp_path))
    dagster_home(Settings.from_env())
    instance = instance_on(tmp_path / "dagster")
    limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
    interval = instance.run_coordinator.dequeue_interval_seconds
    require_month_order_queue(instance)
    instance.dispose()
    assert limits == [{"key": MONTH_ORDER_QUEUE, "limit": 1}]
    assert interval == 1


def test_an_instance_an_earlier_cli_wrote_gets_the_month_order_queue_and_a_users_own_is_kept(tmp_path, monkeypatch):
    from shopping_assets.cli import dagster_home

    own = "telemetry:\n  enabled: true\n"
    pairs = (*((earlier, INSTANCE_CONFIG) for earlier in PREVIOUS_CONFIGS), (own, own))
    for number, (written, expected) in enumerate(pairs):
        home = tmp_path / str(number)
        home.mkdir()
        (home / "dagster.yaml").write_text(written)
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        dagster_home(Settings.from_env())
        assert (home / "dagster.yaml").read_text() == expected
