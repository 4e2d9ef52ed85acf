"""Writing day files month by month, and whole date ranges.

Every day is simulated from its own seeded stream (see streams.py), so a month,
or any set of days, comes out byte-identical however the range is cut, and
memory holds one day at a time.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import date
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .config import GeneratorConfig
from .customers import Population, population
from .dates import days_in, months_between
from .encode import encode_day, warm_tables
from .faults import FAULTS_DIR, inject, rebuild_merged_manifest, update_manifest
from .files import write_atomic
from .reference import write_reference
from .simulate import simulate_day
from .streams import FAULTS, day_rng

TRANSACTIONS_DIR = "transactions"
DAY_FILE = "transactions.json"
_MAX_PENDING_WRITES = 4


def day_file(day: date) -> str:
    """Path of a day's file relative to the output folder."""
    return f"{TRANSACTIONS_DIR}/d={day.isoformat()}/{DAY_FILE}"


def _as_date(value: date) -> date:
    return date(value.year, value.month, value.day)  # a datetime would break comparisons


def _day_content(pop: Population, config: GeneratorConfig, day: date) -> tuple[np.ndarray | bytes, dict, list[dict]]:
    """A day file's bytes, its stats, and the faults injected into it."""
    sales = simulate_day(pop, config.seed, day)
    content = encode_day(sales, day, config.customers)
    stats = {"transactions": len(sales), "basket_lines": int(sales.size.sum()), "lines": len(sales), "faults": 0}
    if config.faults <= 0:
        return content, stats, []
    rng = day_rng(config.seed, FAULTS, day)
    content, injected, replaced = inject(content.tobytes(), rng, config.faults, config.customers, day)
    # Replaced lines no longer count as transactions; duplicates are extra lines, not transactions.
    stats["transactions"] -= len(replaced)
    stats["basket_lines"] -= int(sales.size[replaced].sum())
    stats["lines"] += len(injected) - len(replaced)
    stats["faults"] = len(injected)
    return content, stats, [{"file": day_file(day), "line": n, "kind": k} for n, k in injected]


def _write_month(out_dir: Path, month: date, config: GeneratorConfig, start: date | None, end: date | None) -> dict:
    """write_month without rebuilding the merged manifest (parallel workers share it)."""
    month = _as_date(month)
    if month.day != 1:
        raise ValueError(f"month must be the first day of a month, got {month}")
    pop = population(config.customers, config.seed)
    stats = {"files": [], "transactions": 0, "basket_lines": 0, "bytes": 0, "days": 0, "lines": 0, "faults": 0}
    manifest_files: dict[str, dict | None] = {}
    manifest_faults: list[dict] = []
    pending: deque[Future] = deque()
    # One background thread writes the files (file I/O releases the GIL), so disk
    # time overlaps the next day's numpy work; a few days at most are in flight.
    with ThreadPoolExecutor(max_workers=1) as io:
        for day in days_in(month, start and _as_date(start), end and _as_date(end)):
            content, day_stats, faults = _day_content(pop, config, day)
            while len(pending) >= _MAX_PENDING_WRITES:
                pending.popleft().result()
            pending.append(io.submit(write_atomic, out_dir / day_file(day), content))
            _merge(stats, {**day_stats, "files": [str(out_dir / day_file(day))], "bytes": len(content), "days": 1})
            good = {"lines": day_stats["lines"], "good_lines": day_stats["transactions"]}
            manifest_files[day_file(day)] = good if config.faults > 0 else None
            manifest_faults += faults
        for write in pending:
            write.result()  # re-raises a failed write
    if manifest_files and (config.faults > 0 or _has_manifest(out_dir, month)):
        update_manifest(out_dir, _manifest_name(month), manifest_files, manifest_faults)
    return stats


def _manifest_name(month: date) -> str:
    return f"{month:%Y-%m}.json"


def _has_manifest(out_dir: Path, month: date) -> bool:
    return (out_dir / FAULTS_DIR / _manifest_name(month)).exists()


def write_month(
    out_dir: Path, month: date, config: GeneratorConfig, start: date | None = None, end: date | None = None
) -> dict:
    """Write the day files of `month` (first of month) that fall within [start, end].

    Returns {"files", "transactions", "basket_lines", "bytes", "days", "lines", "faults"}:
    transactions and basket_lines count good lines only; lines counts every line
    written, faults the injected ones.
    """
    out_dir = Path(out_dir)
    stats = _write_month(out_dir, month, config, start, end)
    rebuild_merged_manifest(out_dir)
    return stats


def _merge(total: dict, part: dict) -> None:
    for key, value in part.items():
        total[key] = total.get(key, [] if isinstance(value, list) else 0) + value


def _month_job(args: tuple) -> dict:
    return _write_month(*args)


def generate(
    out_dir: Path, config: GeneratorConfig, start: date, end: date, progress: bool = True, workers: int = 1
) -> dict:
    """Reference tables plus every day in [start, end]; returns totals.

    workers > 1 writes months in parallel processes; the output is identical
    because no day depends on another.
    """
    out_dir = Path(out_dir)
    started = time.perf_counter()
    months = months_between(_as_date(start), _as_date(end))
    totals = write_reference(out_dir, config)
    jobs = [(out_dir, m, config, start, end) for m in months]
    bar = tqdm(total=len(months), unit="month", disable=not (progress and sys.stderr.isatty()))
    workers = max(1, min(workers, len(months)))
    if workers == 1:
        results = map(_month_job, jobs)
    else:
        warm_tables(config.customers)  # built once here, inherited by forked workers
        pool = ProcessPoolExecutor(workers, mp_context=_context())
        results = pool.map(_month_job, jobs)
    try:
        for stats in results:
            _merge(totals, stats)
            bar.update()
            bar.set_postfix(transactions=totals["transactions"])
    finally:
        bar.close()
        if workers > 1:
            pool.shutdown(cancel_futures=True)
    rebuild_merged_manifest(out_dir)
    totals["months"] = len(months)
    totals["seconds"] = time.perf_counter() - started
    return totals


def _context() -> multiprocessing.context.BaseContext:
    # fork shares the already-built tables; elsewhere fall back to spawn.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))
