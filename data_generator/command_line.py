"""Command line: ``python -m data_generator --out DIR --customers N --months M --end YYYY-MM-DD``.

``add_arguments`` and ``run_from_args`` let another CLI mount this as a
``generate`` subcommand.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from .config import GeneratorConfig
from .dates import months_ending
from .history import write_reference_history
from .writer import default_workers, generate

DEFAULT_OUT = Path("input_data/starter")
DESCRIPTION = "Generate deterministic retail input data: customers, products, daily transactions."


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from exc


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default %(default)s)")
    parser.add_argument("--customers", type=int, default=GeneratorConfig.customers, help="default %(default)s")
    parser.add_argument(
        "--months", type=int, default=6, help="calendar months ending with --end's month (default %(default)s)"
    )
    parser.add_argument("--end", type=_date, default=None, help="last day, YYYY-MM-DD (default today)")
    parser.add_argument("--start", type=_date, default=None, help="first day; replaces --months")
    parser.add_argument("--seed", type=int, default=GeneratorConfig.seed, help="default %(default)s")
    parser.add_argument(
        "--faults", type=float, default=0.0, help="share of transaction lines made bad, e.g. 0.01 (default 0: none)"
    )
    parser.add_argument("--csv-bom", action="store_true", help="start both CSVs with a UTF-8 BOM (a fault)")
    parser.add_argument(
        "--reference-history",
        action="store_true",
        help=(
            "also write the reference files as they changed: reference/d=YYYY-MM-01/customers.csv and products.csv "
            "for every month of the range, each month a few loyalty scores changed (now and then a product "
            "recategorised, a customer joining or away for a month); the top-level files become the last month's. "
            "Deterministic by --seed (and the range)"
        ),
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="processes writing months in parallel (default %(default)s)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
    return parser


def date_range(args: argparse.Namespace) -> tuple[date, date]:
    end = args.end or date.today()
    if args.start is not None:
        return args.start, end
    if args.months < 1:
        raise SystemExit("--months must be >= 1")
    return months_ending(end, args.months)[0], end


def run_from_args(args: argparse.Namespace) -> dict:
    start, end = date_range(args)
    config = GeneratorConfig(customers=args.customers, seed=args.seed, faults=args.faults, csv_bom=args.csv_bom)
    stats = generate(args.out, config, start, end, progress=not args.quiet, workers=args.workers)
    if args.reference_history:
        stats["reference_history"] = write_reference_history(args.out, config, start, end)
    if not args.quiet:
        print(summary(stats, start, end, args.out))
    return stats


def summary(stats: dict, start: date, end: date, out: Path) -> str:
    seconds = max(stats["seconds"], 1e-9)
    history = stats.get("reference_history")
    changes = (
        f"; reference history: {history['snapshots']} monthly snapshots, {history['score_changes']:,} score changes, "
        f"{history['recategorised']} products recategorised"
        if history
        else ""
    )
    return (
        f"{start}..{end} -> {out}: {stats['transactions']:,} transactions, "
        f"{stats['lines']:,} lines ({stats['faults']:,} faulty), {len(stats['files']):,} files, "
        f"{stats['bytes'] / 1e6:,.1f} MB in {seconds:.2f} s "
        f"({stats['transactions'] / seconds:,.0f} transactions/s){changes}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_generator", description=DESCRIPTION)
    run_from_args(add_arguments(parser).parse_args(argv))
    return 0
