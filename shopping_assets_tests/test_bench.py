"""The benchmark command at a tiny scale: every stage reported, and the floor agrees with the view.

`shopping_assets.bench` starts its own embedded services (free ports, private
SHOPPING_HOME), so these tests do not use the session's. No timing is asserted:
only that the figures are there and that the pipeline's view and plain DuckDB
count the same rows.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from shopping_assets import bench

# A fixed past day, inside the month partitions whatever today is; a week into its
# month, as on a weekly run (fewer day files also keep the test short).
END = "2026-01-07"


def _work_dir(tmp_path: Path) -> Path:
    # On tmpfs when there is one: the Dagster instance's SQLite writes are then cheap.
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return shm
    return tmp_path


def test_stage_benchmark_reports_every_stage_and_the_floor_matches_the_view(tmp_path, capsys):
    out = tmp_path / "stages.json"
    variables = ("SHOPPING_HOME", "SHOPPING_S3_PORT", "SHOPPING_SNOWFLAKE_PORT", "SNOWFLAKE_DATABASE", "DAGSTER_HOME")
    environment = {name: os.environ.get(name) for name in variables}

    code = bench.main(
        ["--customers", "200", "--months", "1", "--end", END, "--dir", str(_work_dir(tmp_path)), "--json", str(out)]
    )

    printed = capsys.readouterr().out
    assert code == 0, printed
    assert {name: os.environ.get(name) for name in variables} == environment  # the run's settings do not leak
    table = printed[printed.index("\nstage ") :]
    for stage in (*bench.STAGES, "floor"):
        assert re.search(rf"^{stage}\s+\d+\.\d", table, re.MULTILINE), f"no {stage} row in\n{table}"
    assert "load+flatten+view / floor" in printed
    assert re.search(r"-> OK$", printed, re.MULTILINE), printed

    report = json.loads(out.read_text())
    assert [s["name"] for s in report["stages"]] == list(bench.STAGES)
    view, floor = report["view"], report["floor"]
    # The real correctness check: the pipeline's view and plain DuckDB over the same files agree.
    assert view["rows"] > 0
    assert floor["rows"] == view["rows"]
    assert floor["basket_lines"] == view["basket_lines"] == report["config"]["basket_lines"]
    assert report["audit"] == {"view_rows": view["rows"], "basket_lines": view["basket_lines"],
                               "known_basket_lines": view["basket_lines"]}  # fmt: skip
    stages = {s["name"]: s for s in report["stages"]}
    assert stages["export"]["rows"] == view["rows"]
    assert stages["load"]["rows"] == report["config"]["transactions"]
    assert stages["flatten"]["rows"] == report["config"]["basket_lines"]
    for stage in report["stages"]:
        assert stage["seconds"] > 0 and stage["peak_mib"]["pipeline"] > 0
        assert stage["peak_mib"]["snowflake"] > 0 and stage["peak_mib"]["s3"] > 0


@pytest.mark.parametrize("months", [2])
def test_incremental_benchmark_compares_history_with_one_month(tmp_path, capsys, months):
    out = tmp_path / "incremental.json"

    code = bench.main(
        ["--incremental", "--customers", "200", "--months", str(months), "--repeat", "1", "--end", END,
         "--dir", str(_work_dir(tmp_path)), "--json", str(out)]
    )  # fmt: skip

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
