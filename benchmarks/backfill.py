"""`python -m benchmarks.backfill`: loading a whole history, as a user times it.

Timings on one generated input folder, each in fresh state (its own SHOPPING_HOME and
Snowflake database, the embedded services started by the command itself):
- `shopping-pipeline run --input-dir` over every month, and over the last month alone;
- two UI backfills, each on its own `shopping-pipeline dev`, timed from the launch until the
  backfill completes, with the runs it made: the GraphQL call behind the asset graph's
  "Materialize all" (every asset, every partition), and the one behind weekly_job's
  "Launch backfill" of every partition;
- with --duckdb, plain DuckDB over the same files in a fresh process (benchmarks.floor).
Compare the ratios of one run; seconds move with the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

BIN = Path(sys.executable).parent
ASSETS = "{ assetNodes { assetKey { path } } }"
JOB_ASSETS = "query ($job: PipelineSelector!) { assetNodes(pipeline: $job) { id } }"
# the backfills a user launches from the UI: what each asks for, and what the benchmark calls it
BACKFILLS = {
    "ui_backfill": "Materialize all of every asset",
    "ui_job_backfill": "weekly_job's backfill of every partition",
}


def environment(work: Path, name: str, input_dir: Path) -> dict[str, str]:
    """A fresh deployment: its own home (services' state, Dagster instance) and database."""
    from shopping_assets.embedded.services import free_port

    home = work / name
    return {
        **os.environ,
        "SHOPPING_HOME": str(home),
        "DAGSTER_HOME": str(home / "dagster"),
        "SHOPPING_INPUT_DIR": str(input_dir),
        "SHOPPING_OUTPUT_DIR": str(home / "output"),
        "SHOPPING_GENERATE": "false",
        "SNOWFLAKE_DATABASE": f"BENCH_{name.upper()}",
        "SHOPPING_S3_PORT": str(free_port()),
        "SHOPPING_SNOWFLAKE_PORT": str(free_port()),
    }


def timed_run(work: Path, name: str, input_dir: Path) -> dict:
    env = environment(work, name, input_dir)
    command = [str(BIN / "shopping-pipeline"), "run", "--input-dir", str(input_dir)]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return {"seconds": round(seconds, 1), "summary": done.stdout.strip().splitlines()[-1]}


def backfill_launcher(ui, which: str) -> tuple[Callable[[], str], int]:
    """What launches one of BACKFILLS (returning its id), and how many assets it covers."""
    if which == "ui_backfill":
        keys = [node["assetKey"] for node in ui.graphql(ASSETS)["assetNodes"]]
        return lambda: ui.launch_backfill({"assetSelection": keys, "allPartitions": True}), len(keys)
    from harness.dagster_ui import REPOSITORY

    assets = ui.graphql(JOB_ASSETS, job={**REPOSITORY, "pipelineName": "weekly_job"})["assetNodes"]
    return lambda: ui.backfill_job("weekly_job"), len(assets)


def ui_backfill(work: Path, input_dir: Path, timeout: float, which: str) -> dict:
    from harness.dagster_ui import dev_server

    env = environment(work, which, input_dir)
    with dev_server(env, work / f"{which}.log", timeout=180) as ui:
        launch, assets = backfill_launcher(ui, which)
        started = time.perf_counter()
        backfill_id = launch()
        while True:
            backfill = ui.backfill(backfill_id)
            if backfill["status"] not in {"REQUESTED", "CANCELING", "FAILING"}:
                break
            if time.perf_counter() - started > timeout:
                raise SystemExit(f"the backfill did not finish in {timeout:.0f} s: {backfill}")
            time.sleep(1)
        seconds = time.perf_counter() - started
    statuses = [run["status"] for run in backfill["runs"]]
    if backfill["status"] not in {"COMPLETED", "COMPLETED_SUCCESS"} or set(statuses) != {"SUCCESS"}:
        raise SystemExit(f"the backfill ended {backfill['status']} with runs {statuses}")
    return {"seconds": round(seconds, 1), "runs": len(statuses), "assets": assets}


def last_month_only(input_dir: Path, target: Path) -> Path:
    """The input folder with its reference files and its last month's day folders only."""
    target.mkdir(parents=True)
    for entry in input_dir.iterdir():
        if entry.name != "transactions":
            (shutil.copytree if entry.is_dir() else shutil.copy2)(entry, target / entry.name)
    days = sorted((input_dir / "transactions").iterdir())
    month = days[-1].name[: len("d=YYYY-MM")]
    for day in days:
        if day.name.startswith(month):
            shutil.copytree(day, target / "transactions" / day.name)
    return target


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="python -m benchmarks.backfill", description=__doc__.split("\n\n")[0])
    cli.add_argument("--customers", type=int, default=137)
    cli.add_argument("--months", type=int, default=24)
    cli.add_argument("--end", type=date.fromisoformat, default=date.today(), help="last day (default today)")
    cli.add_argument("--no-ui", action="store_true", help="skip the UI backfills")
    cli.add_argument("--no-one-month", action="store_true", help="skip the one-month run")
    cli.add_argument("--duckdb", action="store_true", help="also time plain DuckDB over the same files")
    cli.add_argument("--timeout", type=float, default=1800, help="seconds the UI backfill may take")
    cli.add_argument("--json", type=Path, default=None, help="also write the figures as JSON to this file")
    return cli


def main(argv: list[str] | None = None) -> int:
    from data_generator import GeneratorConfig, generate
    from data_generator.dates import months_ending

    args = parser().parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="shopping_backfill_"))
    figures: dict = {"customers": args.customers, "months": args.months}
    try:
        input_dir = work / "input"
        first = months_ending(args.end, args.months)[0]
        written = generate(input_dir, GeneratorConfig(customers=args.customers, seed=42), first, args.end, False, 2)
        figures["transactions"] = written["transactions"]
        print(f"generated {written['transactions']:,} transactions, {args.months} months", flush=True)
        figures["run_all"] = timed_run(work, "all", input_dir)
        print(f"run --input-dir, {args.months} months: {figures['run_all']['seconds']} s", flush=True)
        if not args.no_one_month:
            one = last_month_only(input_dir, work / "input_one_month")
            figures["run_one_month"] = timed_run(work, "one", one)
            ratio = figures["run_all"]["seconds"] / figures["run_one_month"]["seconds"]
            figures["run_ratio"] = round(ratio, 2)
            print(f"run --input-dir, 1 month: {figures['run_one_month']['seconds']} s (ratio {ratio:.2f})", flush=True)
        if args.duckdb:
            from benchmarks.floor import floor

            # plain DuckDB as a script would do it: import, one query over the files, the CSV
            duck = floor(input_dir, work / "floor.csv")
            seconds = duck["import_seconds"] + duck["query_seconds"] + duck["export_seconds"]
            figures["duckdb_seconds"] = round(seconds, 2)
            figures["duckdb_ratio"] = round(figures["run_all"]["seconds"] / seconds, 1)
            print(f"plain DuckDB: {seconds:.2f} s (run / DuckDB {figures['duckdb_ratio']})", flush=True)
        for which, what in BACKFILLS.items() if not args.no_ui else ():
            figures[which] = ui_backfill(work, input_dir, args.timeout, which)
            ratio = figures[which]["seconds"] / figures["run_all"]["seconds"]
            figures[which.replace("backfill", "ratio")] = round(ratio, 2)
            print(
                f"UI: {what}, {args.months} months: {figures[which]['seconds']} s in "
                f"{figures[which]['runs']} runs (backfill / run {ratio:.2f})",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
