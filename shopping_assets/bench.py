"""Benchmark of the whole chain on a private embedded deployment.

    python -m shopping_assets.bench [--customers N] [--months M] [--end YYYY-MM-DD] [--keep] [--json FILE]
    python -m shopping_assets.bench --incremental [--months 24] [--customers N] [--repeat 3]

Stage mode (the default) starts its own S3 server and Snowflake emulator on free
loopback ports under a temporary SHOPPING_HOME, generates data (by default about
2,000,000 transactions over 6 months), then runs and times each stage of the chain
on its own, with in-process Dagster runs of asset jobs built here:

    generation  data_generator.generate(workers=2) into a temporary input folder
    inputs      transaction_files (every month), customers_file, products_file
    upload      transaction_objects (every month), customers_object, products_object
    load        raw_transaction_lines (every month), raw_customers, raw_products
    flatten     transaction_items (every month): classification, quarantine, checks
    view        the three view assets (CREATE OR REPLACE VIEW), then the all-time view
                queried once (rows, customers, products, basket lines): the floor's
                own work, from tables to the aggregated counts
    audits      audit_job: the whole-history checks publish_job adds to the views (the
                all-time total against the basket lines, a preview, the period views
                reconciled with all-time); timed on their own, outside the ratios
    export      shopping_assets.export.export_table to a CSV

For each: wall seconds, rows and rows/s, MB/s (input bytes / wall; the CSV written
for export) and the peak resident memory during the stage of this process, of the
emulator and of the S3 server (VmHWM, reset before each stage). Then the floor:
plain DuckDB in a fresh process doing the whole job on the same files (typed
read_json, unnest, join, group by; median of 3 runs); its row count must equal the view's.

Incremental mode (--incremental) times a weekly run (weekly_job for the last
month, what the schedule launches: reference tables, the month's chain, the views,
the month's snapshot) with M months loaded, and the same with only that month
loaded, each in its own database and bucket prefix; the ratio is the cost of
history (target <= 1.25).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

# Transactions per customer per day of the generator (measured: 95,160 transactions
# from 5,000 customers over 175 days; data_generator/README.md: 100,000 x 6 months ~ 2.0M).
TRANSACTIONS_PER_CUSTOMER_DAY = 0.1088
DEFAULT_TRANSACTIONS = 2_000_000
INCREMENTAL_TARGET = 1.25
STAGES = ("generation", "inputs", "upload", "load", "flatten", "view", "audits", "export")
MB = 1e6


# --------------------------------------------------------------------------- memory


def _status_kib(pid: int | str, field_name: str) -> int | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(rf"^{field_name}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else None


def _reset_peak(pid: int | str) -> bool:
    """Reset the process's peak RSS (VmHWM) to its current RSS (Linux >= 4.0)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


class Memory:
    """Peak resident memory of this process and the embedded servers, per stage."""

    def __init__(self, pids: dict[str, int | None]):
        self.pids = {"pipeline": os.getpid(), **pids}
        self.resettable = True

    def reset(self) -> None:
        for pid in self.pids.values():
            if pid is not None:
                self.resettable &= _reset_peak(pid)

    def peaks_mib(self) -> dict[str, float | None]:
        peaks = {}
        for name, pid in self.pids.items():
            kib = _status_kib(pid, "VmHWM") if pid is not None else None
            peaks[name] = round(kib / 1024, 1) if kib is not None else None
        return peaks


# --------------------------------------------------------------------------- SQL timing


class StatementTimer:
    """Wall time of every statement the pipeline sends, by SQL file and statement head.

    Patches the Snowflake connector's cursor (and the project's Session.run, to know
    which sql/ file a statement came from) for the duration of the benchmark.
    """

    def __init__(self) -> None:
        self.totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
        self._local = threading.local()
        self._undo: list[Callable[[], None]] = []

    @staticmethod
    def _head(statement: str) -> str:
        text = " ".join(line.strip() for line in str(statement).splitlines() if line.strip())
        return text[:90]

    def install(self) -> None:
        import snowflake.connector
        from snowflake.connector.cursor import SnowflakeCursor

        from shopping_assets.resources.warehouse import Session

        timer = self
        execute, run, connect = SnowflakeCursor.execute, Session.run, snowflake.connector.connect

        def timed_execute(cursor, command, *args, **kwargs):
            started = time.perf_counter()
            try:
                return execute(cursor, command, *args, **kwargs)
            finally:
                source = getattr(timer._local, "file", None) or "query"
                timer.add(f"{source}: {timer._head(command)}", time.perf_counter() - started)

        def timed_run(session, name, *args, **kwargs):
            timer._local.file = f"sql/{name}"
            try:
                return run(session, name, *args, **kwargs)
            finally:
                timer._local.file = None

        def timed_connect(*args, **kwargs):
            started = time.perf_counter()
            try:
                return connect(*args, **kwargs)
            finally:
                timer.add("connect", time.perf_counter() - started)

        SnowflakeCursor.execute, Session.run, snowflake.connector.connect = timed_execute, timed_run, timed_connect
        self._undo.append(lambda: setattr(SnowflakeCursor, "execute", execute))
        self._undo.append(lambda: setattr(Session, "run", run))
        self._undo.append(lambda: setattr(snowflake.connector, "connect", connect))

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    def add(self, key: str, seconds: float) -> None:
        entry = self.totals[key]
        entry[0] += seconds
        entry[1] += 1

    def take(self) -> dict[str, list[float]]:
        """What was recorded since the last take, and start afresh."""
        taken, self.totals = dict(self.totals), defaultdict(lambda: [0.0, 0])
        return taken


# --------------------------------------------------------------------------- results


@dataclass
class StageResult:
    name: str
    seconds: float
    rows: int
    row_unit: str
    bytes: int
    byte_unit: str
    peak_mib: dict[str, float | None]
    runs: int = 0
    sql_seconds: float = 0.0
    # (file: statement head, total seconds, count), slowest first
    statements: list[tuple[str, float, int]] = field(default_factory=list)
    # Dagster step (asset) -> [seconds, runs]
    steps: dict[str, list[float]] = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    @property
    def mb_per_s(self) -> float:
        return self.bytes / MB / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict:
        return {**asdict(self), "rows_per_s": round(self.rows_per_s, 1), "mb_per_s": round(self.mb_per_s, 2)}


def _stage(
    name: str, memory: Memory, timer: StatementTimer | None, body: Callable[[], dict]
) -> StageResult:
    """Run `body` (returning rows, row_unit, bytes, byte_unit, runs) and measure it."""
    if timer:
        timer.take()
    take_steps()
    memory.reset()
    started = time.perf_counter()
    figures = body()
    seconds = time.perf_counter() - started
    peaks = memory.peaks_mib()
    if "workers" in figures:
        # generation: the worker processes did the work; the largest one's peak
        peaks["pipeline"] = max(peaks["pipeline"] or 0.0, figures.pop("workers"))
    statements = timer.take() if timer else {}
    ranked = sorted(((k, round(v[0], 3), int(v[1])) for k, v in statements.items()), key=lambda s: -s[1])
    return StageResult(
        name=name,
        seconds=round(seconds, 3),
        peak_mib=peaks,
        sql_seconds=round(sum(v[0] for k, v in statements.items() if k != "connect"), 3),
        statements=ranked[:12],
        steps=dict(sorted(take_steps().items(), key=lambda item: -item[1][0])),
        **figures,
    )


# --------------------------------------------------------------------------- the deployment


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class Deployment:
    """The embedded services on free ports under a private SHOPPING_HOME."""

    def __init__(self, home: Path):
        self.home = home
        # in the names of databases and prefixes: a process sets each target up once
        # (warehouse._set_up), so a second benchmark in one process needs new names
        self.run_id = uuid.uuid4().hex[:6]
        self.settings = None
        self.service_pids: dict[str, int | None] = {}
        self.start_seconds = 0.0

    @contextmanager
    def up(self) -> Iterator["Deployment"]:
        from shopping_assets.embedded import bootstrap, services
        from shopping_assets.settings import Settings

        env = {
            "SHOPPING_DEPLOYMENT": "local",
            "SHOPPING_HOME": str(self.home),
            "SHOPPING_S3_PORT": str(services.free_port()),
            "SHOPPING_SNOWFLAKE_PORT": str(services.free_port()),
            "SHOPPING_OUTPUT_DIR": str(self.home / "output"),
            "SHOPPING_GENERATE": "false",
            "SNOWFLAKE_DATABASE": "BENCH",
            "SHOPPING_S3_PREFIX": "bench/",
            "DAGSTER_HOME": str(self.home / "dagster"),
        }
        with _environment(env):
            self.settings = Settings.from_env()
            started = time.perf_counter()
            try:
                services.start(self.settings)
                bootstrap.bucket(self.settings)
                self.start_seconds = time.perf_counter() - started
                self.service_pids = {s.name: s.pid() for s in services.services(self.settings)}
                yield self
            finally:
                services.stop(self.settings)

    def target(self, name: str):
        """Settings for an isolated database and bucket prefix on these services, bootstrapped."""
        from shopping_assets.embedded import bootstrap

        settings = replace(
            self.settings,
            database=f"BENCH_{name.upper()}_{self.run_id.upper()}",
            prefix=f"bench-{name.lower().replace('_', '-')}-{self.run_id}/",
        )
        bootstrap.warehouse(settings)
        return settings

    def instance(self, name: str):
        """A Dagster instance (SQLite, as a real deployment has) of its own."""
        from dagster import DagsterInstance

        from shopping_assets.instance import INSTANCE_CONFIG

        home = self.home / "dagster" / name
        home.mkdir(parents=True, exist_ok=True)
        (home / "dagster.yaml").write_text(INSTANCE_CONFIG)
        return DagsterInstance.from_config(str(home))


def _definitions(settings, input_dir: Path):
    """The project's assets and jobs, plus one job per benchmark stage."""
    from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor

    from shopping_assets import definitions
    from shopping_assets.assets import mart
    from shopping_assets.resources import InputData, build_resources
    from shopping_assets.schedules import audit_job, weekly_job

    def job(name: str, *assets: str):
        return define_asset_job(name, selection=AssetSelection.assets(*assets))

    jobs = [
        definitions.reference_job,
        definitions.transactions_job,
        definitions.publish_job,
        weekly_job,
        audit_job,
        job("bench_inputs_reference", "customers_file", "products_file"),
        job("bench_inputs_month", "transaction_files"),
        job("bench_upload_reference", "customers_object", "products_object"),
        job("bench_upload_month", "transaction_objects"),
        job("bench_load_reference", "raw_customers", "raw_products"),
        job("bench_load_month", "raw_transaction_lines"),
        job("bench_flatten_month", "transaction_items"),
        define_asset_job("bench_views", selection=AssetSelection.assets(*mart.ASSETS) - mart.WHOLE_HISTORY),
    ]
    input_data = InputData(input_dir=str(input_dir), generate=False)
    return Definitions(
        assets=definitions.ASSETS,
        asset_checks=mart.WHOLE_HISTORY_CHECKS,
        jobs=jobs,
        resources=build_resources(settings, input_data),
        executor=in_process_executor,
    )


# Seconds spent in each Dagster step (asset) since the last take_steps(), over every run.
_STEPS: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])


def take_steps() -> dict[str, list[float]]:
    taken = {k: [round(v[0], 3), int(v[1])] for k, v in _STEPS.items()}
    _STEPS.clear()
    return taken


def _run(defs, job: str, instance, partition_key: str | None = None):
    """shopping_assets.runner.execute, failing on any failed check; records each step's seconds."""
    from shopping_assets.runner import execute

    outcome = execute(defs, job, instance, partition_key)
    failed = [name for name, check in outcome.checks.items() if not check.passed]
    if not outcome.success or failed:
        raise RuntimeError(f"{job} {partition_key or ''} did not succeed (failed checks: {failed})")
    run = instance.get_runs(limit=1)[0]  # the run just made (runs are listed newest first)
    for stats in instance.get_run_step_stats(run.run_id):
        if stats.start_time and stats.end_time:
            _STEPS[stats.step_key][0] += stats.end_time - stats.start_time
            _STEPS[stats.step_key][1] += 1
    return outcome


def _view_counts(warehouse) -> dict:
    """The all-time view aggregated once, as the floor aggregates its table."""
    with warehouse.session() as session:
        rows, customers, products, lines = session.rows("mart/purchase_counts_totals")[0]
    return {"view rows": int(rows), "customers": int(customers), "products": int(products),
            "basket lines counted": int(lines or 0)}  # fmt: skip


def _view_audit(outcome) -> dict:
    """The all-time view's audit metadata (view rows, customers, products, basket lines counted)."""
    return {k: v.value for k, v in outcome.checks["purchase_counts.total_matches_items"].metadata.items()}


# --------------------------------------------------------------------------- data


def _first_month(end: date, months: int) -> date:
    first = end.replace(day=1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def default_customers(months: int, end: date, transactions: int = DEFAULT_TRANSACTIONS) -> int:
    """The customer count that gives about `transactions` over the months ending `end`."""
    days = (end - _first_month(end, months)).days + 1
    return max(1000, int(round(transactions / (TRANSACTIONS_PER_CUSTOMER_DAY * days), -3)))


def _generate(input_dir: Path, customers: int, first: date, end: date) -> dict:
    from data_generator import GeneratorConfig, generate

    return generate(input_dir, GeneratorConfig(customers=customers, seed=42), first, end, progress=False, workers=2)


def _month_keys(first: date, end: date) -> list[str]:
    from data_generator import months_between

    from shopping_assets.partitions import MONTHLY

    keys = [m.isoformat() for m in months_between(first, end)]
    valid = set(MONTHLY.get_partition_keys())
    if any(key not in valid for key in keys):
        raise SystemExit(f"months {keys[0][:7]}..{keys[-1][:7]} are outside the partitions; set SHOPPING_FIRST_MONTH")
    return keys


# --------------------------------------------------------------------------- the floor


FLOOR_SQL = """
CREATE TABLE purchase_counts AS
WITH items AS (
    SELECT t.customer_id, unnest(t.basket).product_id AS product_id
    FROM read_json(
        '{root}/transactions/*/transactions.json',
        format = 'newline_delimited',
        hive_partitioning = false,
        columns = {{customer_id: 'VARCHAR', basket: 'STRUCT(product_id VARCHAR, price BIGINT)[]',
                   date_of_purchase: 'VARCHAR'}}
    ) AS t
)
SELECT c.customer_id, c.loyalty_score, p.product_id, p.product_category, count(*) AS purchase_count
FROM items AS i
JOIN read_csv('{root}/customers.csv', header = true) AS c ON c.customer_id = i.customer_id
JOIN read_csv('{root}/products.csv', header = true) AS p ON p.product_id = i.product_id
GROUP BY ALL
"""


# The floor again, with the per-line accounting the pipeline owes its users and the
# floor skips: every line numbered in its file, parsed once into typed columns, given
# the first rule it breaks (or none), duplicates found, and only clean lines' basket
# lines counted. Coarser than the pipeline's rules (one typed parse cannot tell a
# number from a string, and a line whose fields have the wrong types is just not
# parseable here), so it is a lower bound on what that accounting costs this engine,
# with no S3, no Dagster, no Snowflake emulation and nothing kept in a table on disk.
# Lines are read by the emulator's own line reader (emulator_gaps.EMULATOR_MACROS), a
# CRLF line's CR dropped as sql/raw/transaction_lines_replace.sql drops it.
ACCOUNTED_FLOOR_SQL = """
CREATE TABLE lines AS
SELECT source_file, line_number, CASE WHEN ends_with(line, chr(13)) THEN line[:-2] ELSE line END AS line
FROM memory.main.shopping_file_lines('{root}/transactions/*/transactions.json');

CREATE TABLE parsed AS
SELECT
    source_file, line_number, regexp_full_match(line, ' *') AS is_blank, doc,
    TRY_CAST(doc.date_of_purchase AS TIMESTAMP) AS purchased_at,
    CAST(regexp_extract(source_file, 'd=([0-9-]+)', 1) AS DATE) AS file_day,
    list_min(list_transform(doc.basket, lambda item: CASE
        WHEN item.product_id IS NULL OR item.product_id = '' THEN '2 missing_product_id'
        WHEN item.price IS NULL THEN '3 price_missing'
        WHEN NOT regexp_full_match(item.price, '-?[0-9]{{1,38}}') THEN '4 price_not_integer'
        WHEN item.price::HUGEINT <= 0 THEN '5 price_not_positive'
    END))[3:] AS item_reason
FROM (
    SELECT source_file, line_number, line, try(json_transform_strict(line, '{{"customer_id": "VARCHAR",
        "basket": [{{"product_id": "VARCHAR", "price": "VARCHAR"}}], "date_of_purchase": "VARCHAR"}}')) AS doc
    FROM lines
);

-- the exact numbering only for lines whose hash repeats
CREATE TABLE repeated AS
SELECT source_file, line_number, ROW_NUMBER() OVER (PARTITION BY line ORDER BY source_file, line_number) AS copy_number
FROM lines
WHERE hash(line) IN (SELECT hash(line) FROM lines GROUP BY 1 HAVING COUNT(*) > 1);

CREATE TABLE verdicts AS
SELECT p.*, CASE
    WHEN is_blank THEN 'empty_line'
    WHEN doc IS NULL THEN 'malformed_json'
    WHEN doc.customer_id IS NULL OR doc.customer_id = '' THEN 'missing_customer_id'
    WHEN doc.basket IS NULL THEN 'missing_basket'
    WHEN len(doc.basket) = 0 THEN 'empty_basket'
    WHEN doc.date_of_purchase IS NULL THEN 'date_missing'
    WHEN purchased_at IS NULL THEN 'date_unparseable'
    WHEN purchased_at::DATE NOT BETWEEN file_day AND file_day + 1 THEN 'date_out_of_window'
    WHEN item_reason IS NOT NULL THEN item_reason
    WHEN r.copy_number > 1 THEN 'duplicate_line'
END AS reason
FROM parsed AS p
LEFT JOIN repeated AS r USING (source_file, line_number);

CREATE TABLE transaction_items AS
SELECT source_file, line_number, item.i AS item_index, doc.customer_id, item.v.product_id,
       item.v.price::BIGINT AS price, purchased_at
FROM (
    SELECT *, unnest(list_zip(range(len(doc.basket)), doc.basket)
                     ::STRUCT(i BIGINT, v STRUCT(product_id VARCHAR, price VARCHAR))[]) AS item
    FROM verdicts
    WHERE reason IS NULL
);

CREATE TABLE purchase_counts AS
SELECT c.customer_id, c.loyalty_score, p.product_id, p.product_category, count(*) AS purchase_count
FROM transaction_items AS i
JOIN read_csv('{root}/customers.csv', header = true) AS c ON c.customer_id = i.customer_id
JOIN read_csv('{root}/products.csv', header = true) AS p ON p.product_id = i.product_id
GROUP BY ALL
"""

FLOOR_REPEAT = 3


def _timed_runs(sql: str) -> tuple[list[float], duckdb.DuckDBPyConnection]:
    """FLOOR_REPEAT runs of sql, each on a new connection (one run alone swings with the
    machine's other load); the seconds of each and the last connection."""
    import duckdb

    from shopping_assets.emulator_gaps import EMULATOR_MACROS

    runs = []
    for _ in range(FLOOR_REPEAT):
        began = time.perf_counter()
        con = duckdb.connect()
        con.execute(EMULATOR_MACROS)
        for statement in sql.split(";\n\n"):
            con.execute(statement)
        con.execute("SELECT COUNT(*) FROM purchase_counts").fetchone()
        runs.append(round(time.perf_counter() - began, 3))
    return runs, con


def _floor_child(root: str, csv_out: str) -> None:
    """Runs in a fresh process: the whole job in plain DuckDB, bare and then with the
    pipeline's per-line accounting; prints their figures as JSON (medians of FLOOR_REPEAT runs)."""
    started = time.perf_counter()
    import duckdb  # noqa: F401  (timed apart from the queries)

    imported = time.perf_counter()
    root = root.replace("'", "''")
    runs, con = _timed_runs(FLOOR_SQL.format(root=root))
    rows, lines = con.execute("SELECT COUNT(*), SUM(purchase_count) FROM purchase_counts").fetchone()
    queried = time.perf_counter()
    con.execute(
        f"COPY (SELECT * FROM purchase_counts ORDER BY customer_id, product_id) TO '{csv_out}' (HEADER, DELIMITER ',')"
    )
    exported = time.perf_counter()
    # VmHWM, not ru_maxrss: after fork and exec, ru_maxrss still holds the parent's peak
    peak_mib = round((_status_kib("self", "VmHWM") or 0) / 1024, 1)
    del con
    _reset_peak("self")
    accounted_runs, con = _timed_runs(ACCOUNTED_FLOOR_SQL.format(root=root))
    accounted = con.execute(
        "SELECT (SELECT COUNT(*) FROM purchase_counts), (SELECT SUM(purchase_count) FROM purchase_counts), "
        "COUNT(*), COUNT(*) FILTER (WHERE reason IS NULL) FROM verdicts"
    ).fetchone()
    print(json.dumps({
        "query_seconds": statistics.median(runs),
        "query_runs": runs,
        "import_seconds": round(imported - started, 3),
        "export_seconds": round(exported - queried, 3),
        "rows": int(rows),
        "basket_lines": int(lines or 0),
        "accounted": {
            "query_seconds": statistics.median(accounted_runs),
            "query_runs": accounted_runs,
            "rows": int(accounted[0]),
            "basket_lines": int(accounted[1] or 0),
            "lines": int(accounted[2]),
            "loaded_lines": int(accounted[3]),
            "peak_mib": round((_status_kib("self", "VmHWM") or 0) / 1024, 1),
        },
        "peak_mib": peak_mib,
        "threads": int(con.execute("SELECT current_setting('threads')").fetchone()[0]),
    }))  # fmt: skip


_FLOOR_COMMAND = "import sys; from shopping_assets.bench import _floor_child; _floor_child(*sys.argv[1:])"


def floor(root: Path, csv_out: Path) -> dict:
    started = time.perf_counter()
    process = subprocess.run(
        [sys.executable, "-c", _FLOOR_COMMAND, str(root), str(csv_out)],
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    figures = json.loads(process.stdout.strip().splitlines()[-1])
    figures["process_seconds"] = round(time.perf_counter() - started, 3)
    return figures


# --------------------------------------------------------------------------- stage mode


def run_stages(args, work: Path) -> dict:
    from shopping_assets.export import export_table

    end = args.end
    first = _first_month(end, args.months)
    customers = args.customers or default_customers(args.months, end)
    input_dir = work / "input"
    keys = _month_keys(first, end)
    results: list[StageResult] = []
    load_start = os.getloadavg()
    print(f"benchmark: {customers:,} customers x {args.months} months ({first}..{end}), work dir {work}", flush=True)

    with Deployment(work / "home").up() as deployment:
        print(f"services up in {deployment.start_seconds:.1f} s: {deployment.service_pids}", flush=True)
        memory = Memory(deployment.service_pids)
        timer = StatementTimer()
        timer.install()
        try:
            generated: dict = {}

            def generation() -> dict:
                generated.update(_generate(input_dir, customers, first, end))
                workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
                return {"rows": generated["transactions"], "row_unit": "transactions", "bytes": generated["bytes"],
                        "byte_unit": "generated", "runs": 0, "workers": round(workers, 1)}  # fmt: skip

            results.append(_report(_stage("generation", memory, None, generation)))
            input_bytes = sum(p.stat().st_size for p in (input_dir / "transactions").rglob("*.json"))
            input_bytes += sum((input_dir / n).stat().st_size for n in ("customers.csv", "products.csv"))

            settings = deployment.target("stages")
            defs = _definitions(settings, input_dir)
            instance = deployment.instance("stages")
            # Resolve every job now and make one cheap run, so that no stage pays for
            # building jobs or the instance's first-run set-up.
            for name in ("bench_inputs_reference", "bench_inputs_month", "bench_upload_reference",
                         "bench_upload_month", "bench_load_reference", "bench_load_month",
                         "bench_flatten_month", "bench_views", "audit_job"):  # fmt: skip
                defs.resolve_job_def(name)
            _run(defs, "bench_inputs_reference", instance)

            meta: dict[str, dict] = {}

            def months_and_reference(reference_job: str, month_job: str, asset: str, rows_key: str, unit: str):
                def body() -> dict:
                    runs = 1
                    _run(defs, reference_job, instance)
                    rows = 0
                    for key in keys:
                        outcome = _run(defs, month_job, instance, key)
                        meta.setdefault(asset, {})[key] = outcome.metadata[asset]
                        rows += int(outcome.metadata[asset][rows_key])
                        runs += 1
                    return {"rows": rows, "row_unit": unit, "bytes": input_bytes, "byte_unit": "input", "runs": runs}

                return body

            results.append(_report(_stage("inputs", memory, timer, months_and_reference(
                "bench_inputs_reference", "bench_inputs_month", "transaction_files", "files", "day files"))))
            results.append(_report(_stage("upload", memory, timer, months_and_reference(
                "bench_upload_reference", "bench_upload_month", "transaction_objects", "lines", "lines"))))
            results.append(_report(_stage("load", memory, timer, months_and_reference(
                "bench_load_reference", "bench_load_month", "raw_transaction_lines", "dagster/row_count", "lines"))))

            def flatten() -> dict:
                rows = 0
                for key in keys:
                    outcome = _run(defs, "bench_flatten_month", instance, key)
                    meta.setdefault("transaction_items", {})[key] = outcome.metadata["transaction_items"]
                    rows += int(outcome.metadata["transaction_items"]["dagster/row_count"])
                return {"rows": rows, "row_unit": "basket lines", "bytes": input_bytes, "byte_unit": "input",
                        "runs": len(keys)}  # fmt: skip

            results.append(_report(_stage("flatten", memory, timer, flatten)))

            view: dict = {}

            def views() -> dict:
                _run(defs, "bench_views", instance)
                view.update(_view_counts(defs.resources["warehouse"]))
                return {"rows": view["basket lines counted"], "row_unit": "basket lines", "bytes": input_bytes,
                        "byte_unit": "input", "runs": 1}  # fmt: skip

            results.append(_report(_stage("view", memory, timer, views)))
            audit: dict = {}

            def audits() -> dict:
                audit.update(_view_audit(_run(defs, "audit_job", instance)))
                return {"rows": int(audit["basket lines counted"]), "row_unit": "basket lines", "bytes": input_bytes,
                        "byte_unit": "input", "runs": 1}  # fmt: skip

            results.append(_report(_stage("audits", memory, timer, audits)))

            csv_out = work / "output" / "purchase_counts.csv"

            def export() -> dict:
                rows = export_table(defs.resources["warehouse"], "purchase_counts", csv_out)
                return {"rows": rows, "row_unit": "view rows", "bytes": csv_out.stat().st_size,
                        "byte_unit": "CSV written", "runs": 0}  # fmt: skip

            results.append(_report(_stage("export", memory, timer, export)))
        finally:
            timer.uninstall()
        emulator_log = _log_tail(deployment.settings.home / "logs" / "snowflake.log")

    print("floor: plain DuckDB over the same files in a fresh process ...", flush=True)
    floor_figures = floor(input_dir, work / "output" / "floor.csv")
    by_name = {r.name: r for r in results}
    pipeline_core = sum(by_name[s].seconds for s in ("load", "flatten", "view"))
    chain = sum(by_name[s].seconds for s in ("inputs", "upload", "load", "flatten", "view"))
    fq = floor_figures["query_seconds"]
    aq = floor_figures["accounted"]["query_seconds"]
    report = {
        "mode": "stages",
        "config": {"customers": customers, "months": args.months, "first_day": first.isoformat(),
                   "end": end.isoformat(), "partitions": keys, "cpus": os.cpu_count(),
                   "input_bytes": input_bytes, "transactions": generated["transactions"],
                   "basket_lines": generated["basket_lines"], "day_files": generated["days"],
                   "services_start_seconds": round(deployment.start_seconds, 2),
                   "memory_peaks_reset_per_stage": memory.resettable,
                   "load_average_start": load_start, "load_average_end": os.getloadavg()},  # fmt: skip
        "stages": [r.as_json() for r in results],
        "floor": floor_figures,
        "view": {"rows": int(view["view rows"]), "basket_lines": int(view["basket lines counted"]),
                 "customers": int(view["customers"]), "products": int(view["products"])},  # fmt: skip
        "audit": {"view_rows": int(audit["view rows"]), "basket_lines": int(audit["basket lines counted"]),
                  "known_basket_lines": int(audit["known basket lines"])},  # fmt: skip
        "ratios": {
            "load+flatten+view seconds": round(pipeline_core, 2),
            "inputs+upload+load+flatten+view seconds": round(chain, 2),
            "load+flatten+view / floor": round(pipeline_core / fq, 1) if fq else None,
            "whole chain (incl. upload) / floor": round(chain / fq, 1) if fq else None,
            "whole chain + export / floor + floor export": round(
                (chain + by_name["export"].seconds) / (fq + floor_figures["export_seconds"]), 1
            ),
            # how much of the gap the accounting alone explains, and what is left to the stack
            "accounted floor / floor": round(aq / fq, 1) if fq else None,
            "upload / floor": round(by_name["upload"].seconds / fq, 1) if fq else None,
            "load+flatten+view / accounted floor": round(pipeline_core / aq, 1) if aq else None,
        },
        "process_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "per_month": {asset: {k[:7]: _brief(v) for k, v in months.items()} for asset, months in meta.items()},
        "emulator_log_tail": emulator_log,
    }
    accounted = floor_figures["accounted"]
    report["floor_matches_view"] = all(
        figures["rows"] == report["view"]["rows"] and figures["basket_lines"] == report["view"]["basket_lines"]
        for figures in (floor_figures, accounted)
    )
    # the accounted floor must see every line the pipeline loaded, and load as many
    per_month = report["per_month"]
    report["accounted_floor_matches_lines"] = (
        accounted["lines"] == sum(m["lines"] for m in per_month["transaction_objects"].values())
        and accounted["loaded_lines"] == sum(m["loaded lines"] for m in per_month["transaction_items"].values())
    )
    _print_stage_table(report)
    return report


def _brief(metadata: dict) -> dict:
    keep = ("dagster/row_count", "files", "lines", "bytes", "objects", "loaded lines", "quarantined lines")
    return {k: metadata[k] for k in keep if k in metadata}


def _log_tail(path: Path, lines: int = 20) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return []


def _report(result: StageResult) -> StageResult:
    print(
        f"  {result.name:<10} {result.seconds:8.1f} s  {result.rows:>11,} {result.row_unit:<13} "
        f"{result.rows_per_s:>11,.0f}/s  {result.mb_per_s:7.1f} MB/s",
        flush=True,
    )
    return result


def _fmt_mib(value: float | None) -> str:
    return f"{value:,.0f}" if value is not None else "-"


def _print_stage_table(report: dict) -> None:
    config, floor_figures, view = report["config"], report["floor"], report["view"]
    print()
    print(
        f"{config['customers']:,} customers x {config['months']} months ({config['first_day']}..{config['end']}): "
        f"{config['transactions']:,} transactions, {config['basket_lines']:,} basket lines, "
        f"{config['day_files']} day files, {config['input_bytes'] / MB:,.1f} MB; {config['cpus']} CPUs; "
        f"load average {config['load_average_start'][0]:.1f} at start, {config['load_average_end'][0]:.1f} at end"
    )
    header = (
        f"{'stage':<12}{'wall s':>9}{'rows':>12}  {'(unit)':<14}{'rows/s':>11}{'MB/s':>8}"
        f"{'runs':>6}{'SQL s':>8}   {'peak MiB: pipeline':>18}{'emulator':>10}{'s3':>7}"
    )
    print(header)
    print("-" * len(header))
    for stage in report["stages"]:
        peaks = stage["peak_mib"]
        print(
            f"{stage['name']:<12}{stage['seconds']:>9.1f}{stage['rows']:>12,}  {stage['row_unit']:<14}"
            f"{stage['rows_per_s']:>11,.0f}{stage['mb_per_s']:>8.1f}{stage['runs']:>6}{stage['sql_seconds']:>8.1f}   "
            f"{_fmt_mib(peaks.get('pipeline')):>18}{_fmt_mib(peaks.get('snowflake')):>10}{_fmt_mib(peaks.get('s3')):>7}"
        )
    fq = floor_figures["query_seconds"]
    print(
        f"{'floor':<12}{fq:>9.1f}{floor_figures['basket_lines']:>12,}  {'basket lines':<14}"
        f"{floor_figures['basket_lines'] / fq if fq else 0:>11,.0f}{config['input_bytes'] / MB / fq if fq else 0:>8.1f}"
        f"{'':>6}{'':>8}   {_fmt_mib(floor_figures['peak_mib']):>18}"
        f"   (its own process: plain DuckDB, {floor_figures['threads']} threads)"
    )
    accounted = floor_figures["accounted"]
    aq = accounted["query_seconds"]
    print(
        f"{'accounted':<12}{aq:>9.1f}{accounted['basket_lines']:>12,}  {'basket lines':<14}"
        f"{accounted['basket_lines'] / aq if aq else 0:>11,.0f}{config['input_bytes'] / MB / aq if aq else 0:>8.1f}"
        f"{'':>6}{'':>8}   {_fmt_mib(accounted['peak_mib']):>18}"
        f"   (the floor plus per-line accounting: numbered lines, one typed parse, quarantine rules, duplicates)"
    )
    print(
        f"{'floor export':<12}{floor_figures['export_seconds']:>9.1f}{floor_figures['rows']:>12,}  {'view rows':<14}"
        f"   (query median of {floor_figures['query_runs']} s; process incl. Python start: "
        f"{floor_figures['process_seconds']:.1f} s)"
    )
    print()
    match = "OK" if report["floor_matches_view"] else "MISMATCH"
    print(
        f"row count: pipeline view {view['rows']:,} rows / {view['basket_lines']:,} basket lines; "
        f"DuckDB floor {floor_figures['rows']:,} rows / {floor_figures['basket_lines']:,} basket lines -> {match}"
    )
    match = "OK" if report["accounted_floor_matches_lines"] else "MISMATCH"
    print(
        f"accounted floor: {accounted['lines']:,} lines, {accounted['loaded_lines']:,} loaded, "
        f"{accounted['rows']:,} rows (runs {accounted['query_runs']} s); lines and loaded lines "
        f"against the pipeline -> {match}"
    )
    for label, value in report["ratios"].items():
        suffix = "x" if "/" in label else " s"
        print(f"{label}: {value}{suffix}")
    print(f"pipeline process peak RSS over the whole run (ru_maxrss): {report['process_peak_rss_mib']:,.0f} MiB")
    if not config["memory_peaks_reset_per_stage"]:
        print("(peaks could not be reset between stages: they are running maxima)")
    print()
    print("where the time goes (top statements per stage, wall seconds as the client sees them):")
    for stage in report["stages"]:
        if not stage["statements"] and not stage["steps"]:
            continue
        in_steps = sum(v[0] for v in stage["steps"].values())
        print(
            f"  {stage['name']}: {stage['seconds']:.1f} s wall = {in_steps:.1f} s in steps "
            f"(of which {stage['sql_seconds']:.1f} s SQL) + {stage['seconds'] - in_steps:.1f} s outside Dagster steps"
        )
        if len(stage["steps"]) > 1:
            print("    steps: " + ", ".join(f"{k} {v[0]:.1f} s" for k, v in stage["steps"].items()))
        for key, seconds, count in stage["statements"][:5]:
            print(f"    {seconds:8.2f} s  x{count:<4} {key}")


# --------------------------------------------------------------------------- incremental mode


# Steps of a weekly run that read or write the month's transactions, the rest being the
# reference tables (small) and publishing (the views, the month's snapshot).
MONTH_STEPS = ("transaction_files", "transaction_objects", "raw_transaction_lines", "transaction_items")
PUBLISH_STEPS = ("purchase_counts", "purchase_counts_by_week", "purchase_counts_by_month", "purchase_counts_snapshot")


def _weekly(defs, instance, last: str, timer: StatementTimer, memory: Memory) -> dict:
    take_steps()
    timer.take()
    memory.reset()
    started = time.perf_counter()
    outcome = _run(defs, "weekly_job", instance, last)
    done = time.perf_counter()
    steps = take_steps()
    return {
        "seconds": round(done - started, 3),
        "month_steps": round(sum(steps.get(k, [0])[0] for k in MONTH_STEPS), 3),
        "publish_steps": round(sum(steps.get(k, [0])[0] for k in PUBLISH_STEPS), 3),
        "snapshot_rows": int(outcome.metadata["purchase_counts_snapshot"]["dagster/row_count"]),
        "peak_mib": memory.peaks_mib(),
        "steps": steps,
        "statements": sorted(
            ((k, round(v[0], 3), int(v[1])) for k, v in timer.take().items()), key=lambda x: -x[1]
        )[:10],
    }


def _audit(defs, instance) -> dict:
    """audit_job's seconds and the all-time view's rows it counted."""
    started = time.perf_counter()
    view = _view_audit(_run(defs, "audit_job", instance))
    return {"seconds": round(time.perf_counter() - started, 3), "view_rows": int(view["view rows"])}


def _incremental_sides(args, deployment, input_dir, customers, first, end, keys, timer):
    last = keys[-1]
    started = time.perf_counter()
    generated = _generate(input_dir, customers, first, end)
    generation_seconds = time.perf_counter() - started
    print(f"  generated {generated['transactions']:,} transactions ({generated['bytes'] / MB:,.0f} MB) "
          f"in {generation_seconds:.1f} s", flush=True)  # fmt: skip
    memory = Memory(deployment.service_pids)
    sides = {}
    for label, months in (("history", keys), ("one_month", [last])):
        settings = deployment.target(f"inc_{label}")
        defs = _definitions(settings, input_dir)
        instance = deployment.instance(f"inc_{label}")
        started = time.perf_counter()
        _run(defs, "reference_job", instance)
        per_month = {}
        for key in months:
            t = time.perf_counter()
            outcome = _run(defs, "transactions_job", instance, key)
            per_month[key[:7]] = {
                "seconds": round(time.perf_counter() - t, 3),
                "basket_lines": int(outcome.metadata["transaction_items"]["dagster/row_count"]),
            }
            print(f"  {label}: loaded {key[:7]} in {per_month[key[:7]]['seconds']:.1f} s", flush=True)
        _run(defs, "publish_job", instance)
        setup_seconds = time.perf_counter() - started
        runs = []
        for n in range(args.repeat):
            runs.append(_weekly(defs, instance, last, timer, memory))
            print(f"  {label}: weekly run {n + 1}: {runs[-1]['seconds']:.1f} s "
                  f"(month steps {runs[-1]['month_steps']:.1f} s, publish steps {runs[-1]['publish_steps']:.1f} s, "
                  f"snapshot {runs[-1]['snapshot_rows']:,} rows)", flush=True)  # fmt: skip
        audit = _audit(defs, instance)
        print(f"  {label}: audit_job (monthly, whole history) {audit['seconds']:.1f} s, "
              f"view {audit['view_rows']:,} rows", flush=True)  # fmt: skip
        sides[label] = {
            "audit_job": audit,
            "months_loaded": len(months),
            "setup_seconds": round(setup_seconds, 2),
            "load_per_month": per_month,
            "weekly_runs": runs,
            "weekly_median_seconds": round(statistics.median(r["seconds"] for r in runs), 3),
        }
    return sides, generated, generation_seconds


def run_incremental(args, work: Path) -> dict:
    end = args.end
    first = _first_month(end, args.months)
    # the same scale per month as the stage mode's default
    customers = args.customers or default_customers(6, end)
    input_dir = work / "input"
    keys = _month_keys(first, end)
    last = keys[-1]
    print(f"incremental: {customers:,} customers x {args.months} months ({first}..{end}), weekly run = "
          f"weekly_job {last[:7]}, repeated {args.repeat}x; work dir {work}", flush=True)  # fmt: skip
    timer = StatementTimer()
    with Deployment(work / "home").up() as deployment:
        timer.install()
        try:
            sides, generated, generation_seconds = _incremental_sides(
                args, deployment, input_dir, customers, first, end, keys, timer
            )
        finally:
            timer.uninstall()
    ratio = sides["history"]["weekly_median_seconds"] / sides["one_month"]["weekly_median_seconds"]
    report = {
        "mode": "incremental",
        "config": {"customers": customers, "months": args.months, "first_day": first.isoformat(),
                   "end": end.isoformat(), "weekly_partition": last, "repeat": args.repeat,
                   "transactions": generated["transactions"], "basket_lines": generated["basket_lines"],
                   "input_bytes": generated["bytes"], "generation_seconds": round(generation_seconds, 2),
                   "load_average_end": os.getloadavg()},  # fmt: skip
        **sides,
        "ratio": round(ratio, 3),
        "target": INCREMENTAL_TARGET,
        "within_target": ratio <= INCREMENTAL_TARGET,
    }
    _print_incremental_table(report)
    return report


def _print_incremental_table(report: dict) -> None:
    config = report["config"]
    print()
    print(
        f"weekly run (weekly_job {config['weekly_partition'][:7]}); "
        f"{config['customers']:,} customers, {config['transactions']:,} transactions over {config['months']} months"
    )
    header = (
        f"{'loaded':<22}{'weekly s (median)':>18}{'month steps s':>15}{'publish steps s':>17}{'snapshot rows':>15}"
        f"   {'peak MiB: pipeline':>18}{'emulator':>10}{'s3':>7}"
    )
    print(header)
    print("-" * len(header))
    for label, name in (("history", f"{config['months']} months"), ("one_month", "1 month")):
        side = report[label]
        runs = side["weekly_runs"]
        print(
            f"{name:<22}{side['weekly_median_seconds']:>18.1f}"
            f"{statistics.median(r['month_steps'] for r in runs):>15.1f}"
            f"{statistics.median(r['publish_steps'] for r in runs):>17.1f}{runs[-1]['snapshot_rows']:>15,}   "
            f"{_fmt_mib(max(r['peak_mib']['pipeline'] or 0 for r in runs)):>18}"
            f"{_fmt_mib(max(r['peak_mib']['snowflake'] or 0 for r in runs)):>10}"
            f"{_fmt_mib(max(r['peak_mib']['s3'] or 0 for r in runs)):>7}"
        )
    for label, name in (("history", f"{config['months']} months"), ("one_month", "1 month")):
        steps = report[label]["weekly_runs"][-1]["steps"]
        print(f"  {name}, last weekly run by step: " + ", ".join(f"{k} {v[0]:.1f} s" for k, v in steps.items()))
        for key, seconds, count in report[label]["weekly_runs"][-1]["statements"][:6]:
            print(f"    {seconds:8.2f} s  x{count:<4} {key}")
    print("audit_job (monthly, whole history): " + ", ".join(
        f"{name} {report[label]['audit_job']['seconds']:.1f} s ({report[label]['audit_job']['view_rows']:,} view rows)"
        for label, name in (("history", f"{config['months']} months"), ("one_month", "1 month"))))  # fmt: skip
    verdict = "within" if report["within_target"] else "ABOVE"
    print(f"ratio {config['months']} months / 1 month: {report['ratio']:.2f} ({verdict} the target {report['target']})")
    loads = report["history"]["load_per_month"]
    if len(loads) > 1:
        seconds = [v["seconds"] for v in loads.values()]
        print(f"loading the history month by month: first {seconds[0]:.1f} s, last {seconds[-1]:.1f} s, "
              f"median {statistics.median(seconds):.1f} s")  # fmt: skip


# --------------------------------------------------------------------------- command


def add_arguments(cli: argparse.ArgumentParser) -> None:
    """The benchmark's options, shared by `python -m shopping_assets.bench` and `shopping-pipeline bench`."""
    cli.add_argument("--customers", type=int, default=None,
                     help="customers (default: about 2,000,000 transactions per 6 months)")  # fmt: skip
    cli.add_argument("--months", type=int, default=None, help="months ending --end (default 6; 24 with --incremental)")
    cli.add_argument("--end", type=date.fromisoformat, default=date.today(),
                     help="last day, YYYY-MM-DD (default today)")  # fmt: skip
    cli.add_argument("--incremental", action="store_true", help="time a weekly run with M months loaded vs 1 month")
    cli.add_argument("--repeat", type=int, default=3, help="weekly runs per side with --incremental (median)")
    cli.add_argument("--keep", action="store_true", help="keep the work folder (data, services' state, logs)")
    cli.add_argument("--dir", type=Path, default=None, help="parent of the work folder (default the system temp)")
    cli.add_argument("--json", type=Path, default=None, help="also write the figures as JSON to this file")


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="python -m shopping_assets.bench", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    add_arguments(cli)
    return cli


def main(argv: list[str] | None = None) -> int:
    return run_from_args(parser().parse_args(argv))


def run_from_args(args: argparse.Namespace) -> int:
    if args.months is None:
        args.months = 24 if args.incremental else 6
    if args.months < 1 or args.repeat < 1:
        raise SystemExit("--months and --repeat must be at least 1")
    if args.dir:
        Path(args.dir).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="shopping_bench_", dir=args.dir))
    try:
        report = run_incremental(args, work) if args.incremental else run_stages(args, work)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 0 if report.get("floor_matches_view", True) else 1


if __name__ == "__main__":
    sys.exit(main())
