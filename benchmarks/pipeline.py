"""The project's own code location, with one job per benchmark stage, and how the bench runs it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dagster import AssetSelection, Definitions, define_asset_job

from benchmarks.measure import StepClock

# Transactions per customer per day of the generator (measured: 95,160 transactions
# from 5,000 customers over 175 days; data_generator/README.md: 100,000 x 6 months ~ 2.0M).
TRANSACTIONS_PER_CUSTOMER_DAY = 0.1088
DEFAULT_TRANSACTIONS = 2_000_000

STAGE_JOBS = {
    "bench_inputs_reference": ("customers_file", "products_file"),
    "bench_inputs_month": ("transaction_files",),
    "bench_upload_reference": ("customers_object", "products_object"),
    "bench_upload_month": ("transaction_objects",),
    "bench_load_reference": ("raw_customers", "raw_products"),
    "bench_load_month": ("raw_transaction_lines",),
    "bench_flatten_month": ("transaction_items", "transaction_quarantine"),
    "bench_views": ("purchase_counts", "purchase_counts_by_week", "purchase_counts_by_month"),
}


def bench_definitions(settings, input_dir: Path) -> Definitions:
    """The code location as it deploys (its policies, checks, schedules and sensors), plus the stage jobs."""
    from shopping_assets.definitions import build_definitions
    from shopping_assets.defs.alerts.freshness import LATEST_MONTH_CHECKS
    from shopping_assets.defs.mart.audits import WHOLE_HISTORY
    from shopping_assets.resources import InputData

    jobs = [
        define_asset_job(name, selection=AssetSelection.assets(*assets) - WHOLE_HISTORY - LATEST_MONTH_CHECKS)
        for name, assets in STAGE_JOBS.items()
    ]
    inputs = InputData(input_dir=str(input_dir), generate=False)
    return Definitions.merge(build_definitions(settings, inputs), Definitions(jobs=jobs))


def run_job(defs, job: str, instance, clock: StepClock, span: tuple[str, str] | None = None):
    """shopping_assets.runner.execute over no partition or a range of months, failing on any
    failed check; records each step's seconds."""
    from shopping_assets.runner import execute

    outcome = execute(defs, job, instance, partition_range=span)
    failed = [name for name, check in outcome.checks.items() if not check.passed]
    if not outcome.success or failed:
        raise RuntimeError(f"{job} {span or ''} did not succeed (failed checks: {failed})")
    clock.record(instance, instance.get_runs(limit=1)[0].run_id)  # runs are listed newest first
    return outcome


def view_counts(warehouse) -> dict:
    """The all-time view aggregated once, as the floor aggregates its table."""
    with warehouse.session() as session:
        rows, customers, products, lines = session.rows("mart/purchase_counts_totals")[0]
    return {
        "view rows": int(rows),
        "customers": int(customers),
        "products": int(products),
        "basket lines counted": int(lines or 0),
    }


def view_audit(outcome) -> dict:
    """The all-time view's audit metadata (view rows, customers, products, basket lines counted)."""
    return {k: v.value for k, v in outcome.checks["purchase_counts.total_matches_items"].metadata.items()}


def default_customers(months: int, end: date, transactions: int = DEFAULT_TRANSACTIONS) -> int:
    """The customer count that gives about `transactions` over the months ending `end`."""
    from data_generator.dates import months_ending

    days = (end - months_ending(end, months)[0]).days + 1
    return max(1000, int(round(transactions / (TRANSACTIONS_PER_CUSTOMER_DAY * days), -3)))


def generate(input_dir: Path, customers: int, first: date, end: date) -> dict:
    from data_generator import GeneratorConfig, generate

    return generate(input_dir, GeneratorConfig(customers=customers, seed=42), first, end, progress=False, workers=2)


def month_keys(settings, end: date, months: int) -> list[str]:
    from data_generator.dates import months_ending
    from shopping_assets.partitions import monthly_partitions

    keys = [month.isoformat() for month in months_ending(end, months)]
    valid = set(monthly_partitions(settings).get_partition_keys())
    if any(key not in valid for key in keys):
        raise SystemExit(f"months {keys[0][:7]}..{keys[-1][:7]} are outside the partitions; set SHOPPING_FIRST_MONTH")
    return keys
