"""shopping-pipeline: generate data, run the chain, export, and manage the embedded services."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from shopping_assets.embedded import bootstrap as embedded_bootstrap
from shopping_assets.embedded import services
from shopping_assets.errors import UserFacingError
from shopping_assets.instance import INSTANCE_CONFIG, PREVIOUS_CONFIGS
from shopping_assets.settings import Settings, SettingsError

PROJECT_DIR = Path(__file__).resolve().parents[1]
# Read by every command, as `dagster dev` (run in PROJECT_DIR) reads it for the UI;
# variables already in the environment win.
DOTENV = PROJECT_DIR / ".env"


def _dagster_home(settings: Settings) -> None:
    # Runs made by the CLI land in the same instance the UI shows.
    if not os.environ.get("DAGSTER_HOME"):
        home = settings.home / "dagster"
        home.mkdir(parents=True, exist_ok=True)
        os.environ["DAGSTER_HOME"] = str(home)
    config = Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    if not config.exists() or config.read_text() in PREVIOUS_CONFIGS:
        config.write_text(INSTANCE_CONFIG)


@contextmanager
def _services_up(settings: Settings):
    """The embedded services for the duration of a command, bootstrapped for the configured
    bucket and database; stopped after only if started here. Production needs neither."""
    if not settings.local:
        yield
        return
    started = services.start(settings)
    try:
        embedded_bootstrap.apply(settings)
        yield
    finally:
        if started:
            services.stop(settings)


def _months_to_run(settings: Settings, input_data, months: int, end: date) -> list[str]:
    from data_generator import months_between
    from data_generator.dates import add_months

    from shopping_assets.partitions import MONTHLY

    if input_data.generate:
        first = add_months(date(end.year, end.month, 1), 1 - months)
        keys = [m.isoformat() for m in months_between(first, end)]
    else:
        input_data.check_layout()
        keys = input_data.months()
    valid = set(MONTHLY.get_partition_keys())
    outside = [key for key in keys if key not in valid]
    if outside:
        raise SettingsError(
            f"months {outside[0][:7]}..{outside[-1][:7]} are outside the partitions "
            f"({settings.first_month} to this month); set SHOPPING_FIRST_MONTH=YYYY-MM to cover them"
        )
    return keys


def cmd_run(args: argparse.Namespace) -> int:
    from dagster import DagsterInstance

    from shopping_assets.definitions import build_definitions
    from shopping_assets.export import export_table
    from shopping_assets.resources import input_data_from_env
    from shopping_assets.runner import materialise_all

    settings = Settings.from_env()
    _dagster_home(settings)
    end = date.fromisoformat(args.end) if args.end else date.today()
    overrides = {"input_dir": str(Path(args.input_dir).resolve()), "generate": False} if args.input_dir else {}
    input_data = input_data_from_env(settings, end_date=end.isoformat(), **overrides)
    started_at = time.monotonic()
    months = _months_to_run(settings, input_data, args.months, end)
    with _services_up(settings):
        defs = build_definitions(settings, input_data)
        print(f"{'month':<8} {'files':>6} {'lines':>10} {'loaded':>10} {'quarantined':>12} {'basket lines':>13}")
        view = materialise_all(defs, DagsterInstance.get(), months, on_month=_print_month)
        out = Path(args.export) if args.export else settings.output_dir / "purchase_counts.csv"
        rows = export_table(defs.resources["warehouse"], "purchase_counts", out)
    print(
        f"purchase_counts: {rows} rows, {view['customers']} customers, {view['products']} products, "
        f"{len(months)} months -> {out} in {time.monotonic() - started_at:.1f} s"
    )
    return 0


def _print_month(key: str, metadata: dict[str, dict]) -> None:
    raw, items = metadata["raw_transaction_lines"], metadata["transaction_items"]
    print(
        f"{key[:7]:<8} {raw['files']:>6} {raw['dagster/row_count']:>10} {items['loaded lines']:>10} "
        f"{items['quarantined lines']:>12} {items['dagster/row_count']:>13}",
        flush=True,
    )


def cmd_export(args: argparse.Namespace) -> int:
    from shopping_assets.export import EXPORTABLE, export_table
    from shopping_assets.resources import build_resources

    if args.table not in EXPORTABLE:
        raise UserFacingError(f"unknown table {args.table!r}; choose from {', '.join(sorted(EXPORTABLE))}")
    settings = Settings.from_env()
    with _services_up(settings):
        rows = export_table(build_resources(settings)["warehouse"], args.table, Path(args.out))
    print(f"{args.table}: {rows} rows -> {args.out}")
    return 0


def cmd_services(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if args.action == "start":
        started = services.start(settings)
        embedded_bootstrap.apply(settings)
        print(f"started: {', '.join(started) or 'nothing (already running)'}")
    elif args.action == "stop":
        stopped = services.stop(settings)
        print(f"stopped: {', '.join(stopped) or 'nothing (not running)'}")
    for name, state in services.status(settings).items():
        print(f"{name:<10} {state}")
    return 0


def cmd_dev(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    _dagster_home(settings)
    with _services_up(settings):
        print(f"Dagster UI: http://127.0.0.1:{args.port}", flush=True)
        process = subprocess.Popen(
            # No -w: in PROJECT_DIR, dagster dev loads the code location named in pyproject.toml
            # ([tool.dagster]) in this environment; workspace.yaml is the production gRPC workspace.
            [sys.executable, "-m", "dagster", "dev", "-h", "127.0.0.1", "-p", str(args.port)],
            cwd=PROJECT_DIR,
            # Restore default handlers, which a non-interactive parent may have set to ignore.
            preexec_fn=lambda: [signal.signal(s, signal.SIG_DFL) for s in (signal.SIGINT, signal.SIGTERM)],
        )
        # Ctrl-C or a TERM from a supervisor: let dagster dev shut down cleanly, then the services.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: process.send_signal(signal.SIGINT))
        return process.wait()


def cmd_doctor(args: argparse.Namespace) -> int:
    from shopping_assets import doctor

    settings = Settings.from_env()
    with _services_up(settings):
        probes = doctor.run(settings)
    for probe in probes:
        print(probe.line(), flush=True)
    failed = [p for p in probes if not p.passed]
    print(f"doctor: {len(probes) - len(failed)} of {len(probes)} probes passed")
    return 1 if failed else 0


def cmd_generate(args: argparse.Namespace) -> int:
    from data_generator.cli import run_from_args

    run_from_args(args)
    return 0


def cmd_soak(args: argparse.Namespace) -> int:
    from shopping_assets import soak

    return soak.main(args.months, args.rounds, args.seed)


def parser() -> argparse.ArgumentParser:
    from data_generator.cli import add_arguments

    root = argparse.ArgumentParser(prog="shopping-pipeline", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="write input data in the starter layout")
    add_arguments(generate)
    generate.set_defaults(handler=cmd_generate)

    run = commands.add_parser("run", help="materialise every asset for every month, then export the view")
    run.add_argument("--input-dir", help="ingest this starter-layout folder instead of generating data")
    run.add_argument("--months", type=int, default=6, help="months of generated data, ending --end (default 6)")
    run.add_argument("--end", help="last day of generated data, YYYY-MM-DD (default today)")
    run.add_argument("--export", help="where to write the view (default output_data/purchase_counts.csv)")
    run.set_defaults(handler=cmd_run)

    export = commands.add_parser("export", help="write a table or view to CSV (or Parquet by extension)")
    export.add_argument("--out", required=True)
    export.add_argument("--table", default="purchase_counts",
                        help="purchase_counts (default), purchase_counts_by_week, purchase_counts_by_month or quarantine")  # fmt: skip
    export.set_defaults(handler=cmd_export)

    check = commands.add_parser("doctor", help="probe the configured deployment (S3, Snowflake, grants, loads) before a backfill")
    check.set_defaults(handler=cmd_doctor)

    service = commands.add_parser("services", help="the embedded S3 server and Snowflake emulator")
    service.add_argument("action", choices=["start", "stop", "status"])
    service.set_defaults(handler=cmd_services)

    from shopping_assets.bootstrap.cli import add_arguments as bootstrap_arguments
    from shopping_assets.bootstrap.cli import run_from_args as bootstrap

    setup = commands.add_parser("bootstrap", help="create or update the production bucket, IAM role and Snowflake objects")
    bootstrap_arguments(setup)
    setup.set_defaults(handler=bootstrap)

    from shopping_assets.bench import add_arguments as bench_arguments
    from shopping_assets.bench import run_from_args as bench

    timing = commands.add_parser("bench", help="time every stage at scale against the plain-DuckDB floor")
    bench_arguments(timing)
    timing.set_defaults(handler=bench)

    soak = commands.add_parser(
        "soak", help="reload every month in random order under random crashes and service faults; check the view"
    )
    soak.add_argument("--months", type=int, default=24, help="monthly partitions (default 24)")
    soak.add_argument("--rounds", type=int, default=3, help="reloads of every month (default 3)")
    soak.add_argument("--seed", type=int, default=7)
    soak.set_defaults(handler=cmd_soak)

    dev = commands.add_parser("dev", help="the Dagster UI on 127.0.0.1 with the embedded services up")
    dev.add_argument("--port", type=int, default=3000)
    dev.set_defaults(handler=cmd_dev)
    return root


def main(argv: list[str] | None = None) -> int:
    from dotenv import load_dotenv

    args = parser().parse_args(argv)
    load_dotenv(DOTENV, override=False)
    try:
        return args.handler(args)
    except UserFacingError as error:
        print(f"shopping-pipeline: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
