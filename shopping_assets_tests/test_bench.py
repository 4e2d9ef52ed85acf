"""The benchmarks at a tiny scale: every stage reported, and the floor agrees with the view.

`python -m benchmarks` starts its own embedded deployment (free ports, private
SHOPPING_HOME), so these tests do not use the session's. No timing is asserted:
only that the figures are there and that the pipeline's view and plain DuckDB
count the same rows.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import floor
from benchmarks.__main__ import main as bench_main
from benchmarks.stages import STAGES
from shopping_assets_tests.conftest import tmpfs

# A fixed past day, inside the month partitions whatever today is; a week into its
# month, as on a weekly run (fewer day files also keep the test short).
END = "2026-01-07"


@pytest.fixture
def work_dir(tmp_path: Path) -> Iterator[Path]:
    """A --dir that does not exist yet (the bench creates it), removed afterwards."""
    # On tmpfs when there is one: the Dagster instance's SQLite writes are then cheap.
    parent = tmpfs() or tmp_path
    folder = parent / f"shopping-bench-test-{uuid.uuid4().hex[:8]}"
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.services  # the bench starts services of its own
def test_stage_benchmark_reports_every_stage_and_the_floor_matches_the_view(tmp_path, work_dir, capsys):
    out = tmp_path / "stages.json"
    variables = ("SHOPPING_HOME", "SHOPPING_S3_PORT", "SHOPPING_SNOWFLAKE_PORT", "SNOWFLAKE_DATABASE", "DAGSTER_HOME")
    environment = {name: os.environ.get(name) for name in variables}

    code = bench_main(["--customers", "200", "--months", "1", "--end", END, "--dir", str(work_dir), "--json", str(out)])

    printed = capsys.readouterr().out
    assert code == 0, printed
    assert work_dir.is_dir() and not any(work_dir.iterdir())  # created, and the run's folder removed
    assert {name: os.environ.get(name) for name in variables} == environment  # the run's settings do not leak
    table = printed[printed.index("\nstage ") :]
    for stage in (*STAGES, "floor", "accounted"):
        assert re.search(rf"^{stage}\s+\d+\.\d", table, re.MULTILINE), f"no {stage} row in\n{table}"
    assert "load+flatten+view / floor" in printed
    assert re.search(r"basket lines -> OK$", printed, re.MULTILINE), printed
    assert re.search(r"against the pipeline -> OK$", printed, re.MULTILINE), printed

    report = json.loads(out.read_text())
    assert [s["name"] for s in report["stages"]] == list(STAGES)
    view, floor = report["view"], report["floor"]
    # The real correctness check: the pipeline's view and plain DuckDB over the same files agree.
    assert view["rows"] > 0
    assert floor["rows"] == view["rows"]
    assert floor["basket_lines"] == view["basket_lines"] == report["config"]["basket_lines"]
    # The same with the per-line accounting: every input line seen, as many loaded as the pipeline loaded.
    accounted = floor["accounted"]
    assert (accounted["rows"], accounted["basket_lines"]) == (view["rows"], view["basket_lines"])
    assert accounted["lines"] == accounted["loaded_lines"] == report["config"]["transactions"]
    assert report["accounted_floor_matches_lines"] is True
    assert report["audit"] == {
        "view_rows": view["rows"],
        "basket_lines": view["basket_lines"],
        "known_basket_lines": view["basket_lines"],
    }
    stages = {s["name"]: s for s in report["stages"]}
    assert stages["export"]["rows"] == view["rows"]
    assert stages["load"]["rows"] == report["config"]["transactions"]
    assert stages["flatten"]["rows"] == report["config"]["basket_lines"]
    for stage in report["stages"]:
        assert stage["seconds"] > 0 and stage["peak_mib"]["pipeline"] > 0
        assert stage["peak_mib"]["snowflake"] > 0 and stage["peak_mib"]["s3"] > 0


@pytest.mark.services  # the bench starts services of its own
@pytest.mark.parametrize("months", [2])
def test_incremental_benchmark_compares_history_with_one_month(tmp_path, work_dir, capsys, months):
    out = tmp_path / "incremental.json"

    code = bench_main(
        [
            "--incremental",
            "--customers",
            "200",
            "--months",
            str(months),
            "--repeat",
            "1",
            "--end",
            END,
            "--dir",
            str(work_dir),
            "--json",
            str(out),
        ]
    )

    printed = capsys.readouterr().out
    assert code == 0, printed
    assert re.search(rf"^ratio {months} months / 1 month: \d+\.\d\d", printed, re.MULTILINE), printed
    report = json.loads(out.read_text())
    history, one_month = report["history"], report["one_month"]
    assert history["months_loaded"] == months and one_month["months_loaded"] == 1
    # Same weekly partition on both sides, so the same month is published (plus, with history,
    # the purchases of the month before's last evening dated in it); the audit reads all history.
    assert history["weekly_runs"][0]["snapshot_rows"] >= one_month["weekly_runs"][0]["snapshot_rows"] > 0
    assert history["audit_job"]["view_rows"] > one_month["audit_job"]["view_rows"] > 0
    assert report["ratio"] > 0


def test_accounted_floor_gives_each_bad_line_its_reason_and_counts_only_clean_lines(tmp_path):
    day = tmp_path / "transactions" / "d=2026-01-01"
    day.mkdir(parents=True)
    good = (
        '{"customer_id": "C1", "basket": [{"product_id": "P01", "price": 5}], '
        '"date_of_purchase": "2026-01-01 10:00:00"}'
    )
    lines = [
        good,
        good,
        "   ",
        '{"customer_id": "C1", "basket": [',
        good.replace('"price": 5', '"price": -3'),
        good.replace("2026-01-01 10:00:00", "2026-01-05 10:00:00"),
        good.replace('[{"product_id": "P01", "price": 5}]', "[]"),
        good.replace('"date_of_purchase": "2026-01-01 10:00:00"', '"date_of_purchase": "2026-01-02 00:00:03"'),
    ]
    (day / "transactions.json").write_text("\r\n".join(lines) + "\r\n")
    (tmp_path / "customers.csv").write_text("customer_id,loyalty_score\r\nC1,7\r\n")
    (tmp_path / "products.csv").write_text("product_id,product_description,product_category\r\nP01,soap,house\r\n")

    _, con = floor.timed_runs(floor.ACCOUNTED_FLOOR_SQL.format(root=tmp_path))

    reasons = con.execute("SELECT line_number, reason FROM verdicts ORDER BY line_number").fetchall()
    assert reasons == [
        (1, None),
        (2, "duplicate_line"),
        (3, "empty_line"),
        (4, "malformed_json"),
        (5, "price_not_positive"),
        (6, "date_out_of_window"),
        (7, "empty_basket"),
        (8, None),
    ]
    assert con.execute("SELECT * FROM purchase_counts").fetchall() == [("C1", 7, "P01", "house", 2)]
