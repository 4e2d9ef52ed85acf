"""Incremental mode: a weekly run with the whole history loaded against the same run with one month.

Each side has its own database and bucket prefix on one embedded deployment; the
weekly run is `weekly_job` for the last month, exactly what the schedule launches.
The ratio of the two medians is the cost of history (target at most 1.25).
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import date
from pathlib import Path

from benchmarks import report
from benchmarks.measure import MB, Memory, StatementTimer, StepClock
from benchmarks.pipeline import bench_definitions, default_customers, generate, month_keys, run_job, view_audit

INCREMENTAL_TARGET = 1.25
# Steps of a weekly run that read or write the month's transactions, the rest being the
# reference tables (small) and publishing (the views, the month's snapshot).
MONTH_STEPS = ("transaction_files", "transaction_objects", "raw_transaction_lines", "transaction_items")
PUBLISH_STEPS = ("purchase_counts", "purchase_counts_by_week", "purchase_counts_by_month", "purchase_counts_snapshot")


def weekly(defs, instance, last: str, timer: StatementTimer, memory: Memory, clock: StepClock) -> dict:
    clock.take()
    timer.take()
    memory.reset()
    started = time.perf_counter()
    outcome = run_job(defs, "weekly_job", instance, clock, (last, last))
    done = time.perf_counter()
    steps = clock.take()
    return {
        "seconds": round(done - started, 3),
        "month_steps": round(sum(steps.get(k, [0])[0] for k in MONTH_STEPS), 3),
        "publish_steps": round(sum(steps.get(k, [0])[0] for k in PUBLISH_STEPS), 3),
        "snapshot_rows": int(outcome.metadata["purchase_counts_snapshot"]["dagster/partition_row_count"]),
        "peak_mib": memory.peaks_mib(),
        "steps": steps,
        "statements": timer.ranked(10),
    }


def audit(defs, instance, clock: StepClock) -> dict:
    """audit_job's seconds and the all-time view's rows it counted."""
    started = time.perf_counter()
    view = view_audit(run_job(defs, "audit_job", instance, clock))
    return {"seconds": round(time.perf_counter() - started, 3), "view_rows": int(view["view rows"])}


def side(label: str, months: list[str], deployment, input_dir: Path, repeat: int, meters: tuple) -> dict:
    """Load `months`, then time `repeat` weekly runs of the last of all months."""
    memory, timer, clock = meters
    defs = bench_definitions(deployment.target(f"inc_{label}"), input_dir)
    instance = deployment.instance(f"inc_{label}")
    started = time.perf_counter()
    run_job(defs, "reference_job", instance, clock)
    # every month in one ranged run, as a backfill loads them
    outcome = run_job(defs, "transactions_job", instance, clock, (months[0], months[-1]))
    per_month = {
        key[:7]: {"basket_lines": int(outcome.partitions[("transaction_items", key)]["dagster/partition_row_count"])}
        for key in months
    }
    print(f"  {label}: loaded {len(months)} months in {time.perf_counter() - started:.1f} s", flush=True)
    run_job(defs, "publish_job", instance, clock)
    setup_seconds = time.perf_counter() - started
    runs = []
    for number in range(repeat):
        runs.append(weekly(defs, instance, months[-1], timer, memory, clock))
        last = runs[-1]
        print(
            f"  {label}: weekly run {number + 1}: {last['seconds']:.1f} s (month steps {last['month_steps']:.1f} s, "
            f"publish steps {last['publish_steps']:.1f} s, snapshot {last['snapshot_rows']:,} rows)",
            flush=True,
        )
    audited = audit(defs, instance, clock)
    print(f"  {label}: audit_job (whole history) {audited['seconds']:.1f} s, view {audited['view_rows']:,} rows")
    return {
        "audit_job": audited,
        "months_loaded": len(months),
        "setup_seconds": round(setup_seconds, 2),
        "load_per_month": per_month,
        "weekly_runs": runs,
        "weekly_median_seconds": round(statistics.median(r["seconds"] for r in runs), 3),
    }


def run_incremental(args, work: Path) -> dict:
    from harness.deployment import EmbeddedDeployment

    input_dir = work / "input"
    customers = args.customers or default_customers(6, args.end)  # the stage mode's scale per month
    timer = StatementTimer()
    with EmbeddedDeployment(work / "home", SHOPPING_GENERATE="false") as deployment:
        keys = month_keys(deployment.settings, args.end, args.months)
        print(
            f"incremental: {customers:,} customers x {args.months} months ({keys[0]}..{args.end}), weekly run = "
            f"weekly_job {keys[-1][:7]}, repeated {args.repeat}x; work dir {work}",
            flush=True,
        )
        started = time.perf_counter()
        generated = generate(input_dir, customers, date.fromisoformat(keys[0]), args.end)
        generation_seconds = time.perf_counter() - started
        print(f"  generated {generated['transactions']:,} transactions ({generated['bytes'] / MB:,.0f} MB)")
        meters = (Memory(deployment.service_pids), timer, StepClock())
        timer.install()
        try:
            sides = {
                label: side(label, months, deployment, input_dir, args.repeat, meters)
                for label, months in (("history", keys), ("one_month", keys[-1:]))
            }
        finally:
            timer.uninstall()
    ratio = sides["history"]["weekly_median_seconds"] / sides["one_month"]["weekly_median_seconds"]
    summary = {
        "mode": "incremental",
        "config": {
            "customers": customers,
            "months": args.months,
            "first_day": keys[0],
            "end": args.end.isoformat(),
            "weekly_partition": keys[-1],
            "repeat": args.repeat,
            "transactions": generated["transactions"],
            "basket_lines": generated["basket_lines"],
            "input_bytes": generated["bytes"],
            "generation_seconds": round(generation_seconds, 2),
            "load_average_end": os.getloadavg(),
        },
        **sides,
        "ratio": round(ratio, 3),
        "target": INCREMENTAL_TARGET,
        "within_target": ratio <= INCREMENTAL_TARGET,
    }
    report.print_incremental(summary)
    return summary
