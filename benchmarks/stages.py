"""Stage mode: each stage of the chain timed on its own at scale, then the floor on the same files."""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from benchmarks import report
from benchmarks.floor import floor
from benchmarks.measure import Memory, Meters, StageResult, StatementTimer, StepClock
from benchmarks.pipeline import (
    STAGE_JOBS,
    bench_definitions,
    default_customers,
    generate,
    month_keys,
    run_job,
    view_audit,
    view_counts,
)

STAGES = ("generation", "inputs", "upload", "load", "flatten", "view", "audits", "export")
# (reference job, month job, asset whose metadata counts the stage, its count, the unit)
ROWS = "dagster/partition_row_count"
MONTH_STAGES = {
    "inputs": ("bench_inputs_reference", "bench_inputs_month", "transaction_files", "files", "day files"),
    "upload": ("bench_upload_reference", "bench_upload_month", "transaction_objects", "lines", "lines"),
    "load": ("bench_load_reference", "bench_load_month", "raw_transaction_lines", ROWS, "lines"),
}


@dataclass
class Run:
    """One stage-mode benchmark: its data, its deployment's code location, and what it measured."""

    end: date
    months: int
    customers: int
    work: Path
    keys: list[str]
    meters: Meters | None = None
    defs: object = None
    instance: object = None
    input_bytes: int = 0
    generated: dict = field(default_factory=dict)
    per_month: dict[str, dict] = field(default_factory=dict)
    view: dict = field(default_factory=dict)
    audit: dict = field(default_factory=dict)
    results: list[StageResult] = field(default_factory=list)

    @property
    def input_dir(self) -> Path:
        return self.work / "input"

    def measure(self, name: str, body, sql: bool = True) -> None:
        self.results.append(report.stage_line(self.meters.stage(name, body, sql)))

    def job(self, job: str, months: bool = False):
        """One run of `job`: over every month (one range, as a backfill runs) or unpartitioned."""
        span = (self.keys[0], self.keys[-1]) if months else None
        return run_job(self.defs, job, self.instance, self.meters.clock, span)

    def per_month_rows(self, outcome, asset: str, count: str) -> int:
        """The stage's rows, summed over the months the run reported."""
        rows = 0
        for key in self.keys:
            metadata = outcome.partitions[(asset, key)]
            self.per_month.setdefault(asset, {})[key] = metadata
            rows += int(metadata[count])
        return rows

    def input_figures(self, rows: int, unit: str, runs: int) -> dict:
        return {"rows": rows, "row_unit": unit, "bytes": self.input_bytes, "byte_unit": "input", "runs": runs}


def generation(run: Run) -> dict:
    first = date.fromisoformat(run.keys[0])
    run.generated.update(generate(run.input_dir, run.customers, first, run.end))
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    figures = {"rows": run.generated["transactions"], "row_unit": "transactions", "runs": 0}
    return {**figures, "bytes": run.generated["bytes"], "byte_unit": "generated", "workers": round(workers, 1)}


def month_stage(run: Run, stage: str) -> dict:
    """The reference tables' part of a stage, then every month's in one ranged run."""
    reference_job, month_job, asset, count, unit = MONTH_STAGES[stage]
    run.job(reference_job)
    rows = run.per_month_rows(run.job(month_job, months=True), asset, count)
    return run.input_figures(rows, unit, 2)


def flatten(run: Run) -> dict:
    rows = run.per_month_rows(run.job("bench_flatten_month", months=True), "transaction_items", ROWS)
    return run.input_figures(rows, "basket lines", 1)


def views(run: Run) -> dict:
    run.job("bench_views")
    run.view.update(view_counts(run.defs.resources["warehouse"]))
    return run.input_figures(run.view["basket lines counted"], "basket lines", 1)


def audits(run: Run) -> dict:
    run.audit.update(view_audit(run.job("audit_job")))
    return run.input_figures(int(run.audit["basket lines counted"]), "basket lines", 1)


def export(run: Run) -> dict:
    from shopping_assets.export import export_table

    out = run.work / "output" / "purchase_counts.csv"
    rows = export_table(run.defs.resources["warehouse"], "purchase_counts", out)
    return {"rows": rows, "row_unit": "view rows", "bytes": out.stat().st_size, "byte_unit": "CSV written", "runs": 0}


def input_bytes(input_dir: Path) -> int:
    total = sum(p.stat().st_size for p in (input_dir / "transactions").rglob("*.json"))
    return total + sum((input_dir / n).stat().st_size for n in ("customers.csv", "products.csv"))


def run_stages(args, work: Path) -> dict:
    from harness.deployment import EmbeddedDeployment

    load_start = os.getloadavg()
    with EmbeddedDeployment(work / "home", SHOPPING_GENERATE="false") as deployment:
        run = Run(
            end=args.end,
            months=args.months,
            customers=args.customers or default_customers(args.months, args.end),
            work=work,
            keys=month_keys(deployment.settings, args.end, args.months),
        )
        print(
            f"benchmark: {run.customers:,} customers x {run.months} months ({run.keys[0]}..{run.end}), "
            f"work dir {work}; services up in {deployment.start_seconds:.1f} s: {deployment.service_pids}",
            flush=True,
        )
        run.meters = Meters(Memory(deployment.service_pids), StatementTimer(), StepClock())
        run.meters.timer.install()
        try:
            run.measure("generation", lambda: generation(run), sql=False)
            run.input_bytes = input_bytes(run.input_dir)
            run.defs = bench_definitions(deployment.target("stages"), run.input_dir)
            run.instance = deployment.instance("stages")
            # Resolve every job now and make one cheap run, so that no stage pays for
            # building jobs or the instance's first-run set-up.
            for name in (*STAGE_JOBS, "audit_job"):
                run.defs.resolve_job_def(name)
            run.job("bench_inputs_reference")
            for stage in MONTH_STAGES:
                run.measure(stage, lambda stage=stage: month_stage(run, stage))
            run.measure("flatten", lambda: flatten(run))
            run.measure("view", lambda: views(run))
            run.measure("audits", lambda: audits(run))
            run.measure("export", lambda: export(run))
        finally:
            run.meters.timer.uninstall()
        emulator_log = report.log_tail(deployment.settings.home / "logs" / "snowflake.log")
        start_seconds = deployment.start_seconds

    print("floor: plain DuckDB over the same files in a fresh process ...", flush=True)
    figures = floor(run.input_dir, work / "output" / "floor.csv")
    summary = summarise(run, figures, start_seconds, load_start)
    summary["emulator_log_tail"] = emulator_log
    report.print_stages(summary)
    return summary


def summarise(run: Run, figures: dict, start_seconds: float, load_start) -> dict:
    """The report: every stage, the floor, and the ratios between them; whether both floors agree."""
    by_name = {r.name: r for r in run.results}
    core = sum(by_name[s].seconds for s in ("load", "flatten", "view"))
    chain = sum(by_name[s].seconds for s in ("inputs", "upload", "load", "flatten", "view"))
    fq, aq = figures["query_seconds"], figures["accounted"]["query_seconds"]

    def ratio(a: float, b: float) -> float | None:
        return round(a / b, 1) if b else None

    summary = {
        "mode": "stages",
        "config": {
            "customers": run.customers,
            "months": run.months,
            "first_day": run.keys[0],
            "end": run.end.isoformat(),
            "partitions": run.keys,
            "cpus": os.cpu_count(),
            "input_bytes": run.input_bytes,
            "transactions": run.generated["transactions"],
            "basket_lines": run.generated["basket_lines"],
            "day_files": run.generated["days"],
            "services_start_seconds": round(start_seconds, 2),
            "memory_peaks_reset_per_stage": run.meters.memory.resettable,
            "load_average_start": load_start,
            "load_average_end": os.getloadavg(),
        },
        "stages": [r.as_json() for r in run.results],
        "floor": figures,
        "view": {
            "rows": int(run.view["view rows"]),
            "basket_lines": int(run.view["basket lines counted"]),
            "customers": int(run.view["customers"]),
            "products": int(run.view["products"]),
        },
        "audit": {
            "view_rows": int(run.audit["view rows"]),
            "basket_lines": int(run.audit["basket lines counted"]),
            "known_basket_lines": int(run.audit["known basket lines"]),
        },
        "ratios": {
            "load+flatten+view seconds": round(core, 2),
            "inputs+upload+load+flatten+view seconds": round(chain, 2),
            "load+flatten+view / floor": ratio(core, fq),
            "whole chain (incl. upload) / floor": ratio(chain, fq),
            "whole chain + export / floor + floor export": ratio(
                chain + by_name["export"].seconds, fq + figures["export_seconds"]
            ),
            # how much of the gap the accounting alone explains, and what is left to the stack
            "accounted floor / floor": ratio(aq, fq),
            "upload / floor": ratio(by_name["upload"].seconds, fq),
            "load+flatten+view / accounted floor": ratio(core, aq),
        },
        "process_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "per_month": {asset: {k[:7]: brief(v) for k, v in months.items()} for asset, months in run.per_month.items()},
    }
    accounted = figures["accounted"]
    summary["floor_matches_view"] = all(
        f["rows"] == summary["view"]["rows"] and f["basket_lines"] == summary["view"]["basket_lines"]
        for f in (figures, accounted)
    )
    # the accounted floor must see every line the pipeline loaded, and load as many
    per_month = summary["per_month"]
    summary["accounted_floor_matches_lines"] = accounted["lines"] == sum(
        m["lines"] for m in per_month["transaction_objects"].values()
    ) and accounted["loaded_lines"] == sum(m["loaded lines"] for m in per_month["transaction_items"].values())
    return summary


def brief(metadata: dict) -> dict:
    keep = ("dagster/partition_row_count", "files", "lines", "bytes", "objects", "loaded lines", "quarantined lines")
    return {k: metadata[k] for k in keep if k in metadata}
