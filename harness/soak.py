"""The soak: many partition runs under random faults, and the view still exact to the row.

Every month is loaded once, then loaded again in random order, round after round,
each run under a fault drawn at random:
- none;
- a flaky S3: a proxy in front of the S3 server answers some requests 503 or resets them;
- a flaky warehouse: the same in front of the Snowflake emulator;
- a crash: the run's process (a fork) is SIGKILLed at a named point of the load
  (harness/crash_points.py), then the month is run again, as the next run would.
A run whose retries all ran out is run again once more, as the next scheduled run
would. At the end the purchase-count view must equal plain DuckDB's answer over the
same files, and RAW and STAGING must hold every line once and only once.

    python -m harness.soak [--months 24] [--rounds 3] [--seed 7]

It starts its own embedded services on free ports, under a temporary folder.
"""

from __future__ import annotations

import os
import random
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

KINDS = ("none", "s3", "warehouse", "crash")
CRASH_POINTS = (
    "upload:3",
    "raw/transaction_lines_copy:1",
    "raw/transaction_lines_replace:1",
    "staging/transaction_items_replace:1",
    "staging/quarantine_transactions_replace:2",
)
S3_FAULT_RATE = 0.1
WAREHOUSE_FAULT_RATE = 0.05


def soak(
    months: int = 24,
    rounds: int = 3,
    seed: int = 7,
    customers: int = 60,
    kinds: tuple[str, ...] | None = None,
    say: Callable[[str], None] = print,
) -> dict:
    """Returns the tally: runs, faults by kind, crashes, retries, failed runs, mismatches."""
    from data_generator import GeneratorConfig, generate
    from data_generator.dates import months_ending
    from harness.deployment import EmbeddedDeployment
    from harness.fault_proxy import FaultProxy, at_random, passes

    end = date(2024, 12, 31)
    window = months_ending(end, months)
    first, keys = window[0], [m.isoformat() for m in window]
    rng = random.Random(seed)
    tally: Counter[str] = Counter()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="shopping_soak_") as work:
        input_dir = Path(work) / "input"
        generate(input_dir, GeneratorConfig(customers=customers, seed=seed), first, end, progress=False)
        # A dead run's locks are released after 3 s here (Snowflake: 5 minutes), and retries start sooner.
        timings = {"SHOPPING_EMULATOR_DETACHED_TIMEOUT": "3", "SHOPPING_STEP_RETRY_DELAY": "1"}
        with (
            EmbeddedDeployment(Path(work) / "home", **timings) as deployment,
            FaultProxy(deployment.settings.s3_port) as s3,
            FaultProxy(deployment.settings.snowflake_port) as warehouse,
        ):
            target = replace(deployment.target("soak"), s3_port=s3.port, snowflake_port=warehouse.port)
            soaker = _Soaker(target, input_dir, deployment.instance("soak"), tally, Path(work) / "crashed-runs")
            soaker.run("reference_job")
            soaker.run("transactions_job", partition_range=(keys[0], keys[-1]))  # the history, as `run` loads it
            say(f"loaded {len(keys)} months; {rounds} rounds of reloads under faults ...")
            for number in range(rounds):
                for key in rng.sample(keys, len(keys)):
                    kind = kinds[tally["reloads"] % len(kinds)] if kinds else rng.choice(KINDS)
                    tally["reloads"] += 1
                    tally[f"faults: {kind}"] += 1
                    if kind == "crash":
                        tally["crashes"] += soaker.crash(key, rng.choice(CRASH_POINTS))
                    elif kind == "s3":
                        s3.plan = at_random(S3_FAULT_RATE, rng.randrange(2**32))
                    elif kind == "warehouse":
                        warehouse.plan = at_random(WAREHOUSE_FAULT_RATE, rng.randrange(2**32))
                    soaker.run("transactions_job", key, may_fail=True)
                    s3.plan = warehouse.plan = passes
                say(f"round {number + 1}: {dict(sorted(tally.items()))}")
            soaker.run("publish_job")
            tally["injected: s3 503"], tally["injected: s3 reset"] = s3.injected["503"], s3.injected["reset"]
            tally["injected: warehouse 503"] = warehouse.injected["503"]
            tally["injected: warehouse reset"] = warehouse.injected["reset"]
            tally.update(soaker.verify())
    tally["seconds"] = round(time.monotonic() - started)
    return dict(tally)


class _Soaker:
    def __init__(self, settings, input_dir: Path, instance, tally: Counter, crashed_runs: Path):
        from shopping_assets.definitions import build_definitions
        from shopping_assets.resources import InputData

        self.settings = settings
        self.inputs = InputData(input_dir=str(input_dir), generate=False)
        self.defs = build_definitions(settings, self.inputs)
        self.input_dir = input_dir
        self.instance = instance
        self.tally = tally
        # a killed run cleans nothing up: its instance's folder is kept inside the soak's own
        self.crashed_runs = crashed_runs

    def run(
        self, job: str, key: str | None = None, may_fail: bool = False, partition_range: tuple[str, str] | None = None
    ) -> None:
        from shopping_assets.runner import execute

        for _ in range(2 if may_fail else 1):
            outcome = execute(self.defs, job, self.instance, key, raise_on_error=False, partition_range=partition_range)
            self.tally["runs"] += 1
            self.tally["step retries"] += outcome.retries
            if outcome.success:
                return
            self.tally["runs failed after retries"] += 1
        raise RuntimeError(f"{job} {key or ''} failed: {outcome.errors}")

    def crash(self, key: str, point: str) -> int:
        """Runs the month in a forked process that dies at `point`; 1 if it did."""
        from harness import crash_points
        from shopping_assets import checkpoints
        from shopping_assets.definitions import build_definitions
        from shopping_assets.runner import execute

        pid = os.fork()
        if pid == 0:  # the child: no cleanup of any kind, whatever happens
            try:
                checkpoints.install(crash_points.act_at(point))
                from dagster import DagsterInstance

                instance = DagsterInstance.ephemeral(tempdir=str(self.crashed_runs))
                # resources of its own: the parent's pooled connections are not the child's to use
                defs = build_definitions(self.settings, self.inputs)
                execute(defs, "transactions_job", instance, key, raise_on_error=False)
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        return int(os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL)

    def verify(self) -> dict[str, int]:
        """Mismatched view rows against plain DuckDB, and lines held twice or not at all."""
        import duckdb

        from benchmarks.floor import FLOOR_SQL
        from shopping_assets import quality

        con = duckdb.connect()
        con.execute(FLOOR_SQL.format(root=str(self.input_dir).replace("'", "''")))
        expected = {
            (c, int(s), p, cat): int(n) for c, s, p, cat, n in con.execute("SELECT * FROM purchase_counts").fetchall()
        }
        lines = sum(quality.count_lines(path) for path in self.input_dir.glob("transactions/d=*/transactions.json"))
        warehouse = self.defs.resources["warehouse"]
        with warehouse.session() as session:
            cursor = session.connection.cursor()

            def query(text: str) -> list[tuple]:
                return cursor.execute(text).fetchall()

            rows = query(f"SELECT * FROM {warehouse.table('MART', 'PURCHASE_COUNTS')}")
            raw, distinct_raw = query(
                "SELECT COUNT(*), COUNT(DISTINCT SOURCE_FILE || ':' || LINE_NUMBER) "
                f"FROM {warehouse.table('RAW', 'TRANSACTION_LINES')}"
            )[0]
            items, distinct_items = query(
                "SELECT COUNT(*), COUNT(DISTINCT SOURCE_FILE || ':' || LINE_NUMBER || ':' || ITEM_INDEX) "
                f"FROM {warehouse.table('STAGING', 'TRANSACTION_ITEMS')}"
            )[0]
        actual = {(c, int(s), p, cat): int(n) for c, s, p, cat, n in rows}
        mismatched = {key for key in expected.keys() | actual.keys() if expected.get(key) != actual.get(key)}
        return {
            "view rows": len(actual),
            "final mismatches": len(mismatched),
            "raw lines": int(raw),
            "raw lines missing": lines - int(distinct_raw),
            "raw duplicate lines": int(raw) - int(distinct_raw),
            "staging duplicate basket lines": int(items) - int(distinct_items),
        }


def main(argv: list[str] | None = None) -> int:
    import argparse

    cli = argparse.ArgumentParser(prog="python -m harness.soak", description=__doc__.split("\n\n")[0])
    cli.add_argument("--months", type=int, default=24, help="monthly partitions (default 24)")
    cli.add_argument("--rounds", type=int, default=3, help="reloads of every month (default 3)")
    cli.add_argument("--seed", type=int, default=7)
    args = cli.parse_args(argv)
    tally = soak(months=args.months, rounds=args.rounds, seed=args.seed, say=lambda text: print(text, flush=True))
    width = max(map(len, tally))
    for name, value in sorted(tally.items()):
        print(f"{name:<{width}}  {value}")
    bad = ("final mismatches", "raw lines missing", "raw duplicate lines", "staging duplicate basket lines")
    return 1 if any(tally[name] for name in bad) else 0


if __name__ == "__main__":
    raise SystemExit(main())
