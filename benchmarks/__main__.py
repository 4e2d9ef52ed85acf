"""`python -m benchmarks [--incremental] ...`: see the package's docstring for what each mode measures."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

import benchmarks


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=benchmarks.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cli.add_argument("--customers", type=int, default=None, help="default: about 2,000,000 transactions per 6 months")
    cli.add_argument("--months", type=int, default=None, help="months ending --end (default 6; 24 with --incremental)")
    cli.add_argument("--end", type=date.fromisoformat, default=date.today(), help="last day (default today)")
    cli.add_argument("--incremental", action="store_true", help="time a weekly run with M months loaded vs 1 month")
    cli.add_argument("--repeat", type=int, default=3, help="weekly runs per side with --incremental (median)")
    cli.add_argument("--keep", action="store_true", help="keep the work folder (data, services' state, logs)")
    cli.add_argument("--dir", type=Path, default=None, help="parent of the work folder (default the system temp)")
    cli.add_argument("--json", type=Path, default=None, help="also write the figures as JSON to this file")
    return cli


def main(argv: list[str] | None = None) -> int:
    from benchmarks.incremental import run_incremental
    from benchmarks.stages import run_stages

    args = parser().parse_args(argv)
    if args.months is None:
        args.months = 24 if args.incremental else 6
    if args.months < 1 or args.repeat < 1:
        raise SystemExit("--months and --repeat must be at least 1")
    if args.dir:
        Path(args.dir).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="shopping_bench_", dir=args.dir))
    try:
        summary = run_incremental(args, work) if args.incremental else run_stages(args, work)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2, default=str))
    return 0 if summary.get("floor_matches_view", True) else 1


if __name__ == "__main__":
    sys.exit(main())
