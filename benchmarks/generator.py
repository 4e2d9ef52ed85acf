"""The generator alone: ``python -m benchmarks.generator [--customers 100000 --months 6]``.

Generates into a temporary folder, prints transactions/s, MB/s and peak RSS,
then deletes the folder.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
from datetime import date
from pathlib import Path

from data_generator.config import GeneratorConfig
from data_generator.dates import add_months, month_end
from data_generator.writer import default_workers, generate

# A fixed range so runs are comparable: the months ending June 2026.
_LAST_MONTH = date(2026, 6, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generator")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--faults", type=float, default=0.0)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--dir", type=Path, default=None, help="parent of the temporary folder")
    args = parser.parse_args(argv)

    start, end = add_months(_LAST_MONTH, -(args.months - 1)), month_end(_LAST_MONTH)
    out = Path(tempfile.mkdtemp(prefix="data_generator_bench_", dir=args.dir))
    try:
        config = GeneratorConfig(customers=args.customers, seed=args.seed, faults=args.faults)
        stats = generate(out, config, start, end, progress=False, workers=args.workers)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    seconds = stats["seconds"]
    # ru_maxrss is in KiB on Linux; children covers the worker processes.
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"{args.customers:,} customers x {args.months} months ({start}..{end}), workers={args.workers}: "
        f"{stats['transactions']:,} transactions, {stats['basket_lines']:,} basket lines, "
        f"{len(stats['files']):,} files, {stats['bytes'] / 1e6:,.1f} MB in {seconds:.2f} s"
    )
    print(f"transactions/s: {stats['transactions'] / seconds:,.0f}")
    print(f"MB/s: {stats['bytes'] / 1e6 / seconds:,.1f}")
    print(f"peak RSS: {peak_self:,.0f} MiB (main process), {peak_children:,.0f} MiB (largest worker)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
