"""Crashes, flaky services and concurrent runs: the view ends up exactly right, with nothing doubled.

Crashes are real: a `shopping-pipeline run` process is SIGKILLed at a named point
(SHOPPING_FAULT_POINT, see harness/crash_points.py), leaving its S3 uploads half
done or its Snowflake transaction open. Flaky networks are a real proxy
(harness/fault_proxy.py) between the pipeline and the services. Every test loads two
months as one range, as a backfill's run and `shopping-pipeline run` do.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from data_generator import GeneratorConfig, generate
from shopping_assets_tests import oracle

MONTHS = ["2024-01-01", "2024-02-01"]
RANGE = (MONTHS[0], MONTHS[-1])


def _generate(root: Path) -> Path:
    generate(root, GeneratorConfig(customers=40, seed=11), date(2024, 1, 1), date(2024, 2, 29), progress=False)
    return root


def _change(root: Path) -> None:
    """A second version of both months: February's last day withdrawn, new lines on January's first."""
    days = sorted((root / "transactions").iterdir())
    shutil.rmtree(days[-1])
    first = days[0] / "transactions.json"
    lines = first.read_text().splitlines()
    extra = []
    for line in lines[:5]:
        doc = json.loads(line)
        doc["basket"] = [{**item, "price": item["price"] + 1} for item in doc["basket"]]
        extra.append(json.dumps(doc))
    first.write_text("\n".join(lines + extra) + "\n")


def _counts(pipeline) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(RAW lines, basket lines), each by month of the range."""

    def by_month(table: str) -> tuple[int, ...]:
        rows = dict(pipeline.query(f"SELECT PARTITION_MONTH, COUNT(*) FROM {{db}}.{table} GROUP BY 1"))
        return tuple(int(rows.get(date.fromisoformat(month), 0)) for month in MONTHS)

    return by_month("RAW.TRANSACTION_LINES"), by_month("STAGING.TRANSACTION_ITEMS")


def _line_counts(root: Path) -> tuple[int, ...]:
    return tuple(oracle.line_count(root, month[:7]) for month in MONTHS)


def _duplicates(pipeline) -> int:
    """Rows beyond the first for any line (RAW) or basket line (STAGING)."""
    raw = pipeline.query(
        "SELECT COUNT(*) - COUNT(DISTINCT SOURCE_FILE || ':' || LINE_NUMBER) FROM {db}.RAW.TRANSACTION_LINES"
    )[0][0]
    items = pipeline.query(
        "SELECT COUNT(*) - COUNT(DISTINCT SOURCE_FILE || ':' || LINE_NUMBER || ':' || ITEM_INDEX) "
        "FROM {db}.STAGING.TRANSACTION_ITEMS"
    )[0][0]
    return int(raw) + int(items)


def _cli_env(pipeline) -> dict[str, str]:
    return {
        **os.environ,
        "SNOWFLAKE_DATABASE": pipeline.settings.database,
        "SHOPPING_S3_PREFIX": pipeline.settings.prefix,
    }


def _cli(pipeline, export: Path) -> list[str]:
    """`shopping-pipeline run` with the crash harness's hook on its checkpoints."""
    return [
        sys.executable,
        "-m",
        "harness.crash_points",
        "run",
        "--input-dir",
        str(pipeline.input_dir),
        "--export",
        str(export),
    ]


@pytest.mark.parametrize(
    "point",
    [
        "upload:2",  # half the month's objects replaced
        "raw/transaction_lines_copy:1",  # lines copied into the session's load table, not yet swapped in
        "raw/transaction_lines_replace:1",  # the months' old lines deleted, the new ones not inserted
        "staging/transaction_items_replace:1",  # the same, one layer up, with the load lock held
    ],
)
def test_a_run_killed_mid_load_leaves_old_or_new_and_the_next_run_is_exact(make_pipeline, tmp_path, point):
    root = _generate(tmp_path / "input")
    pipeline = make_pipeline(root)
    pipeline.load(MONTHS)
    old_counts, old_view = _counts(pipeline), pipeline.view()
    shutil.copytree(root, tmp_path / "old")
    _change(root)

    env = {**_cli_env(pipeline), "SHOPPING_FAULT_POINT": point}
    killed = subprocess.run(_cli(pipeline, tmp_path / "x.csv"), env=env, capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]

    # each table holds the month's old rows or its new ones, whole
    raw_after_kill, items_after_kill = _counts(pipeline)
    view_after_kill = pipeline.view()
    assert view_after_kill in (old_view, oracle.purchase_counts(root))
    assert _duplicates(pipeline) == 0

    pipeline.load(MONTHS)  # waits out the dead run's lock via the step's RetryPolicy
    new_counts = _counts(pipeline)
    assert raw_after_kill in (old_counts[0], new_counts[0])
    assert items_after_kill in (old_counts[1], new_counts[1])
    assert new_counts[0] == _line_counts(root) != old_counts[0]
    assert pipeline.view() == oracle.purchase_counts(root) != oracle.purchase_counts(tmp_path / "old")
    assert _duplicates(pipeline) == 0


def test_two_runs_loading_the_same_partition_at_once_do_not_double_it(make_pipeline, settings, tmp_path):
    # Two `shopping-pipeline run` processes (the schedule's run and a manual one) load two
    # fresh, empty months: the case where two unguarded DELETE+INSERTs would both commit.
    # Each waits after its COPY for the other, then they open their transactions together;
    # the one that takes the lock holds it a second longer, so the other surely meets it.
    pipeline = make_pipeline(_generate(tmp_path / "input"))
    pipeline.run_job("reference_job")  # (and the Dagster instance's storage exists, as it does in a deployment)
    points = f"raw/transaction_lines_copy:1=barrier:2:{tmp_path / 'arrived'};raw/transaction_lines_replace:1=sleep:1"
    env = {**_cli_env(pipeline), "SHOPPING_FAULT_POINT": points}
    log = settings.home / "logs" / "snowflake.log"

    def conflicts() -> int:
        lines = log.read_text().splitlines()
        return sum(f"{pipeline.settings.database}.RAW.LOAD_LOCK" in line and "000625" in line for line in lines)

    runs = [
        subprocess.Popen(
            _cli(pipeline, tmp_path / f"run{n}.csv"),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for n in range(2)
    ]
    try:
        outputs = [run.communicate(timeout=600)[0] for run in runs]
    finally:
        for run in runs:
            run.kill()  # only if still running (a timeout): no process outlives the test
            run.wait()

    assert [run.returncode for run in runs] == [0, 0], outputs
    # the emulator refused at least one run the lock, and its step's retry loaded the month again
    assert conflicts() >= 1
    assert _counts(pipeline)[0] == _line_counts(pipeline.input_dir)
    assert _duplicates(pipeline) == 0
    assert pipeline.view() == pipeline.expected_view()


def test_a_run_does_not_write_items_classified_from_lines_another_run_has_since_replaced(make_pipeline, tmp_path):
    # Run A (a `shopping-pipeline run` process) classifies the months' lines, then waits
    # before its replacing transaction; meanwhile run B reloads the months from changed
    # files, to the end. A's older items must not then overwrite B's.
    pipeline = make_pipeline(_generate(tmp_path / "input"))
    pipeline.run_job("reference_job")
    arrived = tmp_path / "arrived"
    env = {**_cli_env(pipeline), "SHOPPING_FAULT_POINT": f"staging/transaction_line_checks:3=barrier:2:{arrived}"}
    run_a = subprocess.Popen(
        _cli(pipeline, tmp_path / "a.csv"), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 300
        while not (arrived.is_dir() and any(arrived.iterdir())):
            assert run_a.poll() is None and time.monotonic() < deadline, "run A never finished classifying"
            time.sleep(0.2)
        _change(pipeline.input_dir)
        pipeline.run("transactions_job", partition_range=RANGE)  # run B
        (arrived / "run-b").touch()
        output = run_a.communicate(timeout=600)[0]
    finally:
        run_a.kill()  # only if still running (a failed assertion): no process outlives the test
        run_a.wait()

    assert run_a.returncode == 0, output[-3000:]
    # A noticed, failed its step, and the step's retry classified B's lines
    from dagster import DagsterInstance

    instance = DagsterInstance.get()
    noticed = [
        record
        for run in instance.get_runs(limit=5)
        for record in instance.all_logs(run.run_id)
        if record.dagster_event
        and record.dagster_event.event_type_value == "STEP_UP_FOR_RETRY"
        and "was reloaded by another run" in str(record.dagster_event.event_specific_data.error)
    ]
    assert len(noticed) == 1
    assert _counts(pipeline)[0] == _line_counts(pipeline.input_dir)
    assert pipeline.view() == pipeline.expected_view()
    assert _duplicates(pipeline) == 0


def _behind_proxy(pipeline, service: str, proxy):
    port = {"s3": "s3_port", "snowflake": "snowflake_port"}[service]
    return replace(pipeline, settings=replace(pipeline.settings, **{port: proxy.port}))


def test_s3_errors_and_resets_are_retried_and_the_view_is_exact(make_pipeline, settings, tmp_path):
    from harness.fault_proxy import FaultProxy, at_random

    pipeline = make_pipeline(_generate(tmp_path / "input"))
    with FaultProxy(settings.s3_port, at_random(0.15, seed=5)) as proxy:
        _behind_proxy(pipeline, "s3", proxy).load(MONTHS)
    assert proxy.injected["503"] > 0 and proxy.injected["reset"] > 0
    assert pipeline.view() == pipeline.expected_view()
    assert _duplicates(pipeline) == 0


def test_s3_down_fails_the_step_naming_s3_and_the_call_then_a_rerun_succeeds(make_pipeline, settings, tmp_path):
    from harness.fault_proxy import FaultProxy, passes
    from shopping_assets.resources.lake import UPLOAD_THREADS

    pipeline = make_pipeline(_generate(tmp_path / "input"))
    pipeline.run_job("reference_job")
    requested = Counter()

    def slow_down(number: int, method: str, path: str) -> str:
        requested[(method, path)] += 1
        return "503"

    with FaultProxy(settings.s3_port, slow_down) as proxy:
        flaky = _behind_proxy(pipeline, "s3", proxy)
        # fewer of botocore's backoffs and shorter waits between step attempts to sit through
        flaky.settings = replace(flaky.settings, s3_max_attempts=2, step_retry_delay=0.25)
        outcome = flaky.run("transactions_job", raise_on_error=False, partition_range=RANGE)
        assert not outcome.success
        assert outcome.retries == 3  # the RetryPolicy's, each step attempt after botocore's own retries
        message = outcome.errors["transaction_objects"]
        assert re.search(rf"S3 \w+ on http://127.0.0.1:{proxy.port} \(bucket {settings.bucket}\) failed", message)
        assert "SlowDown" in message
        # the range's first file was asked for twice (botocore's two attempts) in each of the 4 step attempts
        assert max(requested.values()) >= 2 * 4
        # and each attempt stopped at the first refusal: most of the range's 60 day files were never tried
        assert len(requested) <= 2 * UPLOAD_THREADS < 60

        proxy.plan = passes
        flaky.load(MONTHS)
    assert pipeline.view() == pipeline.expected_view()


def test_a_client_that_dies_mid_request_is_counted_by_the_proxy_not_printed(settings, capfd):
    from harness.fault_proxy import FaultProxy

    with FaultProxy(settings.s3_port) as proxy:
        client = socket.create_connection(("127.0.0.1", proxy.port))
        client.sendall(b"PUT /bucket/key HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n0123456789")
        # torn down mid-body with a reset, as a SIGKILLed run's socket is
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()
        deadline = time.monotonic() + 10
        while proxy.client_disconnects == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proxy.client_disconnects == 1 and proxy.requests == 0  # never forwarded
    assert "Traceback" not in capfd.readouterr().err


def test_warehouse_requests_that_fail_are_retried_and_the_view_is_exact(make_pipeline, settings, tmp_path):
    from harness.fault_proxy import FaultProxy

    def plan(number: int, method: str, path: str) -> str:
        # a few statements answered 503, a few connections reset, before the emulator sees them
        if "query-request" in path and number % 10 == 3:
            return "503" if number % 20 == 3 else "reset"
        return "pass"

    pipeline = make_pipeline(_generate(tmp_path / "input"))
    with FaultProxy(settings.snowflake_port, plan) as proxy:
        _behind_proxy(pipeline, "snowflake", proxy).load(MONTHS)
    assert proxy.injected["503"] > 0 and proxy.injected["reset"] > 0
    assert pipeline.view() == pipeline.expected_view()
    assert _duplicates(pipeline) == 0


def test_a_session_whose_body_raises_is_closed_and_releases_its_lock(make_pipeline, tmp_path):
    pipeline = make_pipeline(_generate(tmp_path / "input"))
    pipeline.load(MONTHS)
    before = _counts(pipeline)
    warehouse = pipeline.warehouse()

    with pytest.raises(RuntimeError, match="the step broke"):
        with warehouse.session() as session:
            # a transaction opened and left open by code that then raises
            session.connection.cursor().execute("BEGIN")
            session.run("raw/take_load_lock")
            session.connection.cursor().execute(f"DELETE FROM {warehouse.table('RAW', 'TRANSACTION_LINES')}")
            raise RuntimeError("the step broke")

    # The connection was closed, so its transaction was rolled back at once: the next
    # session takes the lock without waiting (a leaked one would hold it) and finds every row.
    with warehouse.session() as session, session.transaction():
        pass
    assert _counts(pipeline) == before
