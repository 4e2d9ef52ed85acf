"""shopping-pipeline: generate data, run the chain, export, check a deployment, and manage the
embedded services.

Every command that needs the embedded services starts them (and their bootstrap) and
stops what it started. Commands that need no warehouse import neither Dagster nor the
Snowflake libraries, so they answer at once.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path

from shopping_assets.errors import UserFacingError
from shopping_assets.settings import GENERATED_MONTHS, Settings, SettingsError, widen_first_month

PROJECT_DIR = Path(__file__).resolve().parents[1]
# Read by every command, as `dagster dev` (run in PROJECT_DIR) reads it for the UI;
# variables already in the environment win.
DOTENV = PROJECT_DIR / ".env"
EXPORTABLE = (
    "purchase_counts",
    "purchase_counts_by_week",
    "purchase_counts_by_month",
    "quarantine",
    "customers_history",
    "products_history",
    "purchase_counts_by_week_as_purchased",
    "purchase_counts_by_month_as_purchased",
)


def dagster_home(settings: Settings) -> Path:
    """The Dagster instance the CLI's runs land in: the one the UI shows ($DAGSTER_HOME, else
    under SHOPPING_HOME), with the embedded deployment's dagster.yaml if it has none."""
    from shopping_assets.instance import INSTANCE_CONFIG, PREVIOUS_CONFIGS

    home = settings.dagster_home or settings.home / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)  # for Dagster, in this process and the ones it starts
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text() in PREVIOUS_CONFIGS:
        config.write_text(INSTANCE_CONFIG)
    return home


@contextmanager
def services_up(settings: Settings, meanwhile: Callable[[], object] | None = None) -> Iterator[None]:
    """The embedded services for the duration of a command, bootstrapped for the configured
    bucket and database; stopped after only if started here. Production needs neither.
    `meanwhile` runs while the servers boot (a command's own imports take as long)."""
    if not settings.local:
        yield
        return
    from shopping_assets.embedded import services

    started = start_services(settings, meanwhile)
    try:
        yield
    finally:
        if started:
            services.stop(settings)


def start_services(settings: Settings, meanwhile: Callable[[], object] | None = None) -> list[str]:
    """Start the embedded services not running yet and bootstrap them, one command at a time;
    the names of those started (stopped again if the bootstrap fails)."""
    from shopping_assets.embedded import bootstrap, services

    with services.start_lock(settings):
        started = services.start(settings, meanwhile=meanwhile)
        try:
            bootstrap.apply(settings)
        except BaseException:
            if started:
                services.stop(settings)
            raise
    return started


def months_to_run(settings: Settings, inputs, months: int, end: date) -> tuple[Settings, list[str]]:
    """(settings whose partitions cover them, the partition keys of the months to load): the last
    `months` to `end` when generating, else every month the input folder holds. Locally the
    partitions grow to cover them unless SHOPPING_FIRST_MONTH is set; otherwise each must be a
    partition already."""
    from data_generator.dates import months_ending
    from shopping_assets.partitions import monthly_partitions

    if inputs.generate:
        keys = [month.isoformat() for month in months_ending(end, months)]
    else:
        inputs.check_layout()
        keys = inputs.months()
    widen = settings.local and not settings.first_month_configured
    if widen and keys and (settings.first_month or "9999") > keys[0][:7]:
        settings = replace(settings, first_month=keys[0][:7])
    valid = set(monthly_partitions(settings).get_partition_keys())
    outside = [key for key in keys if key not in valid]
    if outside:
        raise SettingsError(
            f"months {outside[0][:7]}..{outside[-1][:7]} are outside the partitions "
            f"({settings.first_month} to this month); set SHOPPING_FIRST_MONTH=YYYY-MM to cover them"
        )
    return settings, keys


def _import_definitions() -> None:
    import shopping_assets.definitions  # noqa: F401 (seconds of Dagster and Snowflake imports)


def cmd_run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    dagster_home(settings)
    end = date.fromisoformat(args.end) if args.end else date.today()
    overrides = {"input_dir": str(Path(args.input_dir).resolve()), "generate": False} if args.input_dir else {}
    started_at = time.monotonic()
    with services_up(settings, meanwhile=_import_definitions):
        from dagster import DagsterInstance

        from shopping_assets.definitions import build_definitions
        from shopping_assets.export import export_table
        from shopping_assets.resources import input_data
        from shopping_assets.runner import materialise_all

        inputs = input_data(settings, end_date=end.isoformat(), **overrides)
        settings, months = months_to_run(settings, inputs, args.months, end)
        widen_first_month(settings.first_month)
        defs = build_definitions(settings, inputs)
        print(f"{'month':<8} {'files':>6} {'lines':>10} {'loaded':>10} {'quarantined':>12} {'basket lines':>13}")
        view = materialise_all(
            defs, DagsterInstance.get(), months, on_month=_print_month, months_per_run=settings.backfill_months_per_run
        )
        out = Path(args.export) if args.export else settings.output_dir / "purchase_counts.csv"
        rows = export_table(defs.resources["warehouse"], "purchase_counts", out)
    print(
        f"purchase_counts: {rows} rows, {view['customers']} customers, {view['products']} products, "
        f"{len(months)} months -> {out} in {time.monotonic() - started_at:.1f} s"
    )
    return 0


def _print_month(key: str, outcome) -> None:
    raw, items = outcome.partitions[("raw_transaction_lines", key)], outcome.partitions[("transaction_items", key)]
    print(
        f"{key[:7]:<8} {raw['files']:>6} {raw['dagster/partition_row_count']:>10} {items['loaded lines']:>10} "
        f"{items['quarantined lines']:>12} {items['dagster/partition_row_count']:>13}",
        flush=True,
    )


def cmd_export(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    with services_up(settings):
        from shopping_assets.export import export_table
        from shopping_assets.resources import build_resources

        rows = export_table(build_resources(settings)["warehouse"], args.table, Path(args.out))
    print(f"{args.table}: {rows} rows -> {args.out}")
    return 0


def cmd_services(args: argparse.Namespace) -> int:
    from shopping_assets.embedded import services

    settings = Settings.from_env()
    if args.action == "start":
        started = start_services(settings)
        print(f"started: {', '.join(started) or 'nothing (already running)'}")
    elif args.action == "stop":
        stopped = services.stop(settings)
        print(f"stopped: {', '.join(stopped) or 'nothing (not running)'}")
    for name, state in services.status(settings).items():
        print(f"{name:<10} {state}")
    return 0


def cmd_dev(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    dagster_home(settings)
    with services_up(settings):
        print(f"Dagster UI: http://127.0.0.1:{args.port}", flush=True)
        # In the project folder, dagster dev loads the code location pyproject.toml's [tool.dg] declares.
        process = subprocess.Popen(
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
    with services_up(settings):
        probes = doctor.run(settings)
    for probe in probes:
        print(probe.line(), flush=True)
    failed = [p for p in probes if not p.passed]
    print(f"doctor: {len(probes) - len(failed)} of {len(probes)} probes passed")
    return 1 if failed else 0


def cmd_generate(args: argparse.Namespace) -> int:
    from data_generator.command_line import run_from_args

    run_from_args(args)
    return 0


def cmd_bootstrap(args: argparse.Namespace) -> int:
    from shopping_assets.bootstrap.command import run_from_args

    return run_from_args(args)


def parser() -> argparse.ArgumentParser:
    from data_generator.command_line import add_arguments
    from shopping_assets.bootstrap.command import add_arguments as bootstrap_arguments

    root = argparse.ArgumentParser(prog="shopping-pipeline", description=__doc__.split("\n\n")[0])
    commands = root.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="write input data in the starter layout")
    add_arguments(generate)
    generate.set_defaults(handler=cmd_generate)

    run = commands.add_parser("run", help="materialise every asset for every month, then export the view")
    run.add_argument("--input-dir", help="ingest this starter-layout folder instead of generating data")
    run.add_argument(
        "--months",
        type=int,
        default=GENERATED_MONTHS,
        help=f"months of generated data, ending --end (default {GENERATED_MONTHS})",
    )
    run.add_argument("--end", help="last day of generated data, YYYY-MM-DD (default today)")
    run.add_argument("--export", help="where to write the view (default output_data/purchase_counts.csv)")
    run.set_defaults(handler=cmd_run)

    export = commands.add_parser("export", help="write a table or view to CSV (or Parquet by extension)")
    export.add_argument("--out", required=True)
    export.add_argument("--table", default="purchase_counts", choices=EXPORTABLE, help="default purchase_counts")
    export.set_defaults(handler=cmd_export)

    doctor = commands.add_parser("doctor", help="probe the deployment (S3, Snowflake, grants, loads) before a backfill")
    doctor.set_defaults(handler=cmd_doctor)

    service = commands.add_parser("services", help="the embedded S3 server and Snowflake emulator")
    service.add_argument("action", choices=["start", "stop", "status"])
    service.set_defaults(handler=cmd_services)

    setup = commands.add_parser(
        "bootstrap", help="create or update the production bucket, IAM role and Snowflake objects"
    )
    bootstrap_arguments(setup)
    setup.set_defaults(handler=cmd_bootstrap)

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
