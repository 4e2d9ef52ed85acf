"""Production as deploy/ describes it, on this machine and without Docker.

The deploy/ files are read, not copied: the code is installed from the files the Dockerfile copies,
the way it installs them (not editable), and the code server, the daemon and the webserver run the
commands of docker-compose.yaml, with deploy/dagster.yaml as their instance and the top-level
workspace.yaml as their workspace, against a real PostgreSQL server (the one the `pgserver` wheel
bundles) and the session's embedded S3 and Snowflake. Only hosts, ports and paths change: every
server listens on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from harness.dagster_ui import UI
from shopping_assets.embedded.services import free_port

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
LOCATION = "shopping_assets"
# Where the image puts the workspace file, as compose's commands name it.
IMAGE_WORKSPACE = "/opt/dagster/app/workspace.yaml"


def dockerfile_stages() -> list[list[list[str]]]:
    """deploy/Dockerfile's instructions (each as its words), one list per build stage."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    stages: list[list[list[str]]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        words = line.split()
        if words[0].upper() == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(words)
    return stages


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yaml").read_text())


def env_references(node) -> set[str]:
    """The variables a Dagster config file reads ({env: NAME} anywhere in it)."""
    if isinstance(node, dict):
        if set(node) == {"env"}:
            return {node["env"]}
        return {name for value in node.values() for name in env_references(value)}
    if isinstance(node, list):
        return {name for value in node for name in env_references(value)}
    return set()


# --- the files agree with each other ------------------------------------------------------------


def test_the_deploy_files_describe_one_deployment():
    from dagster._config import validate_config
    from dagster._core.instance.config import dagster_instance_config_schema

    from shopping_assets.instance import MONTH_ORDER_QUEUE

    build, final = dockerfile_stages()
    # a base image pinned to an exact Python release, and no root at run time
    for stage in (build, final):
        assert stage[0][1] == "${PYTHON_IMAGE}"
    (base,) = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", (DEPLOY / "Dockerfile").read_text(), re.MULTILINE)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", base), base
    users = [words[1] for words in final if words[0] == "USER"]
    assert users and not users[-1].startswith(("root", "0")), users
    # only the package's own files go in: no tests, no benchmarks' output, no .env
    copied = {src for words in build if words[0] == "COPY" for src in words[1:-1]}
    assert copied == {"pyproject.toml", "requirements.lock", "README.md", "shopping_assets/", "data_generator/", "sql/"}
    (install,) = [" ".join(words) for words in build if words[0] == "RUN" and "pip install" in " ".join(words)]
    assert "--constraint requirements.lock" in install and " -e " not in install and "--editable" not in install
    cmd = json.loads(" ".join(next(words for words in final if words[0] == "CMD")[1:]))

    services = compose()["services"]
    assert set(services) == {"postgres", "code", "webserver", "daemon"}
    assert re.fullmatch(r"postgres:16\.\d+-bookworm", services["postgres"]["image"])
    assert services["code"]["command"] == cmd
    assert cmd[:3] == ["dagster", "code-server", "start"] and cmd[cmd.index("--location-name") + 1] == LOCATION
    workspace_copy = next(words for words in final if words[0] == "COPY" and words[1] == "workspace.yaml")
    assert workspace_copy[-1] == IMAGE_WORKSPACE
    for name in ("webserver", "daemon"):
        command = services[name]["command"]
        assert command[command.index("-w") + 1] == IMAGE_WORKSPACE, name

    instance = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    workspace = yaml.safe_load((REPO / "workspace.yaml").read_text())
    # every variable the instance and the workspace read is set for every Dagster process
    needed = env_references(instance) | env_references(workspace)
    assert needed == {
        "DAGSTER_PG_HOST",
        "DAGSTER_PG_PORT",
        "DAGSTER_PG_USERNAME",
        "DAGSTER_PG_PASSWORD",
        "DAGSTER_PG_DB",
        "DAGSTER_CODE_SERVER_HOST",
        "DAGSTER_CODE_SERVER_PORT",
    }
    for name in ("code", "webserver", "daemon"):
        assert needed <= set(services[name]["environment"]), name
    # and the secrets reach only the code server, whose run workers use them
    for name in ("webserver", "daemon"):
        assert not {v for v in services[name]["environment"] if v.startswith(("SNOWFLAKE_", "AWS_", "SHOPPING_"))}
    assert services["code"]["environment"]["DAGSTER_CODE_SERVER_PORT"] == cmd[cmd.index("-p") + 1]

    # the workspace is the code server, by host and port from the environment
    (entry,) = workspace["load_from"]
    assert entry == {
        "grpc_server": {
            "host": {"env": "DAGSTER_CODE_SERVER_HOST"},
            "port": {"env": "DAGSTER_CODE_SERVER_PORT"},
            "location_name": LOCATION,
        }
    }

    # a valid instance: PostgreSQL storage, the queue that keeps month order, no telemetry
    assert validate_config(dagster_instance_config_schema(), instance).success
    assert set(instance["storage"]) == {"postgres"}
    assert instance["run_coordinator"]["class"] == "QueuedRunCoordinator"
    limits = instance["run_coordinator"]["config"]["tag_concurrency_limits"]
    assert limits == [{"key": MONTH_ORDER_QUEUE, "limit": 1}]
    assert instance["telemetry"] == {"enabled": False}
    assert instance["run_monitoring"]["enabled"] and instance["run_retries"]["enabled"]

    # the cluster's values say the same, with the Kubernetes run launcher
    helm = yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())
    assert helm["runLauncher"]["type"] == "K8sRunLauncher"
    queued = helm["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]
    assert queued["tagConcurrencyLimits"] == limits
    assert queued["maxConcurrentRuns"] == instance["run_coordinator"]["config"]["max_concurrent_runs"]
    monitoring = helm["dagsterDaemon"]["runMonitoring"]
    for key, value in instance["run_monitoring"].items():
        camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), key)
        assert monitoring[camel] == value, key
    retries = helm["dagsterDaemon"]["runRetries"]
    assert (retries["maxRetries"], retries["retryOnAssetOrOpFailure"]) == (
        instance["run_retries"]["max_retries"],
        instance["run_retries"]["retry_on_asset_or_op_failure"],
    )
    assert helm["retention"]["enabled"]
    assert helm["retention"]["schedule"]["purgeAfterDays"] == instance["retention"]["schedule"]["purge_after_days"]
    assert helm["retention"]["sensor"]["purgeAfterDays"] == instance["retention"]["sensor"]["purge_after_days"]
    assert helm["telemetry"] == {"enabled": False}
    assert (
        helm["postgresql"]["postgresqlUsername"] == "dagster" and helm["postgresql"]["postgresqlDatabase"] == "dagster"
    )
    (deployment,) = helm["dagster-user-deployments"]["deployments"]
    assert deployment["codeServerArgs"] == cmd[cmd.index("-m") :]


# --- the package, installed as the image installs it -------------------------------------------


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project installed (not editable, no dependencies: they are this venv's) from exactly the
    files deploy/Dockerfile copies, into a folder of its own outside the repository."""
    build, _ = dockerfile_stages()
    context = tmp_path_factory.mktemp("image-context")
    for words in build:
        if words[0] != "COPY":
            continue
        *sources, destination = words[1:]
        for source in sources:
            path = REPO / source
            if path.is_dir():
                shutil.copytree(path, context / destination, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(path, context / destination / path.name)
    target = tmp_path_factory.mktemp("site-packages")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-compile",
            "--target",
            str(target),
            "--constraint",
            str(context / "requirements.lock"),
            str(context),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return target


def installed_env(target: Path, **extra: str) -> dict[str, str]:
    """This venv's packages, with the installed copy of the project in front of the editable one."""
    return {**os.environ, "PYTHONPATH": str(target), **extra}


RENDER_EVERY_SQL_FILE = """
import json
from shopping_assets import statements as sql
files = sorted(str(p.relative_to(sql.SQL_DIR))[:-4] for p in sql.SQL_DIR.rglob("*.sql"))
statements = sum(len(sql.render(f, {key: "X" for key in sql.placeholders(f)})) for f in files)
print(json.dumps({"sql_dir": str(sql.SQL_DIR), "files": files, "statements": statements}))
"""


def test_the_installed_package_carries_and_renders_every_sql_file(installed, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", RENDER_EVERY_SQL_FILE],
        env=installed_env(installed),
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    )
    found = json.loads(result.stdout)
    assert Path(found["sql_dir"]) == installed / "shopping_assets" / "sql"
    in_repo = sorted(str(p.relative_to(REPO / "sql"))[:-4] for p in (REPO / "sql").rglob("*.sql"))
    assert found["files"] == in_repo and found["statements"] >= len(in_repo)
    # the tests stay out of the package
    assert not (installed / "shopping_assets_tests").exists()


# --- the topology: PostgreSQL, code server, daemon, webserver ----------------------------------


@dataclass
class Postgres:
    host: str
    port: int
    user: str
    password: str
    database: str

    def connect(self, database: str | None = None):
        import psycopg2

        return psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=database or self.database,
            connect_timeout=3,
        )

    def query(self, text: str, *params) -> list[tuple]:
        with self.connect() as connection, connection.cursor() as cursor:
            cursor.execute(text, params)
            rows = cursor.fetchall()
        connection.close()
        return rows


@contextmanager
def postgres_server(stack: ExitStack) -> Iterator[Postgres]:
    """PostgreSQL 16 from the pgserver wheel on 127.0.0.1 (TCP only, password authentication),
    in a data folder of its own; as root, it runs as `nobody` (PostgreSQL refuses root).
    The wheel's binaries only: importing pgserver would create lock files of its own."""
    import importlib.util

    (package,) = importlib.util.find_spec("pgserver").submodule_search_locations
    pginstall = Path(package) / "pginstall"

    base = Path(tempfile.mkdtemp(prefix="shopping-pg-"))
    stack.callback(shutil.rmtree, base, ignore_errors=True)
    user = None
    if os.geteuid() == 0:
        user = "nobody"
        entry = pwd.getpwnam(user)
        os.chown(base, entry.pw_uid, entry.pw_gid)
        if not all(folder.stat().st_mode & stat.S_IXOTH for folder in (pginstall / "bin", *pginstall.parents)):
            # a venv under a folder `nobody` cannot enter (/root): a copy of the server it can run,
            # laid out as in site-packages (the binaries find their libraries in ../../../pgserver.libs)
            site = Path(package).parent
            shutil.copytree(site / "pgserver.libs", base / "site" / "pgserver.libs")
            shutil.copytree(
                pginstall, base / "site" / "pgserver" / "pginstall", ignore=shutil.ignore_patterns("include")
            )
            pginstall = base / "site" / "pgserver" / "pginstall"
    POSTGRES_BIN_PATH = pginstall / "bin"
    server = Postgres("127.0.0.1", free_port(), "dagster", uuid.uuid4().hex, "dagster")
    (base / "password").write_text(server.password)
    if user:
        os.chown(base / "password", entry.pw_uid, entry.pw_gid)
    subprocess.run(
        [
            str(POSTGRES_BIN_PATH / "initdb"),
            "-D",
            str(base / "data"),
            "-U",
            server.user,
            "--pwfile",
            str(base / "password"),
            "--auth=scram-sha-256",
            "-E",
            "UTF8",
            "--no-sync",
            "--no-instructions",
        ],
        user=user,
        cwd=base,
        check=True,
        capture_output=True,
        text=True,
    )
    log = base / "postgres.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                str(POSTGRES_BIN_PATH / "postgres"),
                "-D",
                str(base / "data"),
                "-h",
                server.host,
                "-p",
                str(server.port),
                "-c",
                "unix_socket_directories=",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ],
            user=user,
            cwd=base,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack.callback(stop, process, sig=signal.SIGINT)  # SIGINT: PostgreSQL's fast shutdown
    deadline = time.monotonic() + 30
    while True:
        try:
            connection = server.connect("postgres")
            break
        except Exception:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {server.database}")
    connection.close()
    yield server


def stop(*processes: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    """Stop processes started in sessions of their own (all signalled at once, then awaited),
    then anything left in their groups."""
    processes = tuple(p for p in processes if not getattr(p, "stopped", False))  # once only: pids get reused
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, sig)
    for process in processes:
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # children that outlived their parent (run workers)
        process.stopped = True


def _default_signals() -> None:
    # a non-interactive parent may have left SIGINT/SIGTERM ignored, which children inherit
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


class Topology:
    """The Dagster processes of docker-compose.yaml, started with its commands on 127.0.0.1."""

    def __init__(self, stack: ExitStack, logs: Path, cwd: Path) -> None:
        self.stack, self.logs, self.cwd = stack, logs, cwd
        self.processes: dict[str, subprocess.Popen] = {}
        self.services = compose()["services"]

    def command(self, service: str, **ports: int) -> list[str]:
        """The service's compose command, on 127.0.0.1, with the repository's workspace.yaml."""
        words = list(self.services[service]["command"])
        replace = {"0.0.0.0": "127.0.0.1", IMAGE_WORKSPACE: str(REPO / "workspace.yaml")}
        words = [replace.get(word, word) for word in words]
        if "-p" in words:
            words[words.index("-p") + 1] = str(ports["port"])
        # the console scripts of this venv
        return [str(Path(sys.executable).with_name(words[0])), *words[1:]]

    def start(self, service: str, env: dict[str, str], **ports: int) -> subprocess.Popen:
        command = self.command(service, **ports)
        with (self.logs / f"{service}.log").open("a") as output:
            output.write(f"\n$ {shlex.join(command)}\n")
            output.flush()
            process = subprocess.Popen(
                command,
                env=env,
                cwd=self.cwd,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_default_signals,
            )
        self.processes[service] = process
        self.stack.callback(stop, process)
        return process

    def stop(self, *services: str) -> None:
        stop(*(self.processes.pop(service) for service in services))

    def tail(self, lines: int = 40) -> str:
        return "\n".join(
            f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
            for log in sorted(self.logs.glob("*.log"))
        )

    def alive(self) -> None:
        for service, process in self.processes.items():
            assert process.poll() is None, f"{service} exited ({process.returncode})\n{self.tail()}"


def wait_for(what: str, check, topology: Topology, timeout: float, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        topology.alive()
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s\n{topology.tail()}"
        time.sleep(interval)


def code_server_serves(port: int) -> bool:
    """The code server answers with its repository (it listens only once the code has loaded)."""
    from dagster._grpc.client import DagsterGrpcClient

    try:
        return "ListRepositoriesResponse" in DagsterGrpcClient(port=port, host="127.0.0.1").list_repositories()
    except Exception:
        return False


SCHEDULE = """
query ($selector: ScheduleSelector!) {
  scheduleOrError(scheduleSelector: $selector) {
    __typename
    ... on Schedule { scheduleState { id status ticks(limit: 5) { tickId status timestamp runIds } } }
    ... on PythonError { message }
  }
}"""

STOP_SCHEDULE = """
mutation ($id: String!) {
  stopRunningSchedule(id: $id) {
    __typename
    ... on ScheduleStateResult { scheduleState { status } }
    ... on PythonError { message }
  }
}"""

HISTORY = """
query ($schedule: ScheduleSelector!, $freshness: SensorSelector!, $failure: SensorSelector!) {
  runsOrError(filter: {pipelineName: "weekly_job"}) {
    __typename
    ... on Runs { results { runId status tags { key value } assetMaterializations { assetKey { path } } } }
  }
  scheduleOrError(scheduleSelector: $schedule) {
    ... on Schedule { scheduleState { status ticks(limit: 5) { status runIds } } }
  }
  freshness: sensorOrError(sensorSelector: $freshness) {
    ... on Sensor { sensorState { status ticks(limit: 5) { status } } }
  }
  failure: sensorOrError(sensorSelector: $failure) {
    ... on Sensor { sensorState { status ticks(limit: 5) { status } } }
  }
  instance { daemonHealth { allDaemonStatuses { daemonType required healthy lastHeartbeatTime } } }
}"""


def selector(kind: str, name: str) -> dict[str, str]:
    return {"repositoryLocationName": LOCATION, "repositoryName": "__repository__", f"{kind}Name": name}


def test_the_daemon_runs_the_weekly_schedule_on_postgres_and_the_history_survives_a_restart(
    make_pipeline, installed, tmp_path, monkeypatch
):
    from dagster import DagsterInstance, DagsterRunStatus

    from shopping_assets.definitions import build_definitions
    from shopping_assets.defs.schedules import touched_months
    from shopping_assets.partitions import RANGE_END, RANGE_START, monthly_partitions
    from shopping_assets.settings import Settings

    job = build_definitions(Settings.from_env()).resolve_job_def("weekly_job")
    expected_assets = {key.to_user_string() for key in job.asset_layer.selected_asset_keys}
    expected_checks = {(k.asset_key.to_user_string(), k.name) for k in job.asset_layer.asset_graph.asset_check_keys}

    started = time.monotonic()
    marks: list[tuple[str, float]] = []

    def mark(what: str) -> None:
        marks.append((what, time.monotonic() - started))

    pipeline = make_pipeline(generate=True)
    home, logs, cwd = tmp_path / "dagster_home", tmp_path / "logs", tmp_path / "cwd"
    for folder in (home, logs, cwd):
        folder.mkdir()
    shutil.copy(DEPLOY / "dagster.yaml", home / "dagster.yaml")

    with ExitStack() as stack:
        database = stack.enter_context(postgres_server(stack))
        code_port, web_port = free_port(), free_port()
        instance_env = {
            "DAGSTER_HOME": str(home),
            "DAGSTER_PG_HOST": database.host,
            "DAGSTER_PG_PORT": str(database.port),
            "DAGSTER_PG_USERNAME": database.user,
            "DAGSTER_PG_PASSWORD": database.password,
            "DAGSTER_PG_DB": database.database,
            "DAGSTER_CODE_SERVER_HOST": "127.0.0.1",
            "DAGSTER_CODE_SERVER_PORT": str(code_port),
        }
        # the instance of deploy/dagster.yaml, read here too; creating it creates the schema
        for name, value in instance_env.items():
            monkeypatch.setenv(name, value)
        instance = DagsterInstance.from_config(str(home))
        stack.callback(instance.dispose)
        assert [
            type(s).__name__ for s in (instance.run_storage, instance.event_log_storage, instance.schedule_storage)
        ] == [
            "PostgresRunStorage",
            "PostgresEventLogStorage",
            "PostgresScheduleStorage",
        ]
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"

        dagster_env = {**os.environ, **instance_env}
        dagster_env.pop("PYTHONPATH", None)
        code_env = installed_env(
            installed,
            **instance_env,
            # the test's own database, prefix and input folder, on the session's services
            SNOWFLAKE_DATABASE=pipeline.settings.database,
            SHOPPING_S3_PREFIX=pipeline.settings.prefix,
            SHOPPING_INPUT_DIR=str(pipeline.input_dir),
            SHOPPING_OUTPUT_DIR=str(tmp_path / "output"),
            SHOPPING_GENERATE="true",
            SHOPPING_CUSTOMERS="40",
            SHOPPING_WEEKLY_CRON="* * * * *",
        )
        topology = Topology(stack, logs, cwd)
        mark("postgres and the instance")

        topology.start("code", code_env, port=code_port)
        wait_for("the code server", lambda: code_server_serves(code_port), topology, timeout=90)
        mark("code server serving")
        topology.start("daemon", dagster_env)
        topology.start("webserver", dagster_env, port=web_port)
        ui = UI(web_port)
        wait_for("the webserver", ui.up, topology, timeout=60)
        mark("daemon and webserver up")

        # The first tick (at the next minute) launches one weekly_job run per month the past week
        # touched; the schedule is then stopped from the UI, so no later tick adds runs.
        def first_tick():
            found = ui.graphql(SCHEDULE, selector=selector("schedule", "weekly_refresh"))["scheduleOrError"]
            assert found["__typename"] == "Schedule", found
            ticks = [t for t in found["scheduleState"]["ticks"] if t["status"] == "SUCCESS"]
            return (found["scheduleState"], ticks[-1]) if ticks else None

        state, tick = wait_for("a weekly_refresh tick", first_tick, topology, timeout=100, interval=1)
        mark("first tick")
        stopped = ui.graphql(STOP_SCHEDULE, id=state["id"])["stopRunningSchedule"]
        assert stopped.get("scheduleState", {}).get("status") == "STOPPED", stopped
        run_ids = tick["runIds"]
        partitions = monthly_partitions(Settings.from_env())
        months = touched_months(datetime.fromtimestamp(tick["timestamp"], tz=UTC), partitions)
        # one run for the months the past week touched: a partition, or a range at a month end
        assert len(run_ids) == 1 and len(months) >= 1

        def finished():
            records = instance.get_run_records()
            runs = {r.dagster_run.run_id: r.dagster_run for r in records if r.dagster_run.run_id in run_ids}
            return len(runs) == len(run_ids) and all(r.is_finished for r in runs.values()) and runs

        runs = wait_for("the weekly runs", finished, topology, timeout=240, interval=1)
        assert {r.status for r in runs.values()} == {DagsterRunStatus.SUCCESS}, topology.tail()
        mark("runs finished")

        # In PostgreSQL itself: the runs, each one's materialisations and check results.
        rows = database.query("SELECT pipeline_name, status FROM runs WHERE run_id = ANY(%s)", run_ids)
        assert rows == [("weekly_job", "SUCCESS")]
        (tags,) = (run.tags for run in runs.values())
        assert (
            tags.get(RANGE_START, tags.get("dagster/partition")),
            tags.get(RANGE_END, tags.get("dagster/partition")),
        ) == (
            months[0],
            months[-1],
        )
        for run_id in run_ids:
            materialised = database.query(
                "SELECT DISTINCT asset_key FROM event_logs"
                " WHERE run_id = %s AND dagster_event_type = 'ASSET_MATERIALIZATION'",
                run_id,
            )
            assert {"/".join(json.loads(key)) for (key,) in materialised} == expected_assets
            # (Dagster also leaves a PLANNED row for a check whose evaluation names the run's partition.)
            checks = database.query(
                "SELECT asset_key, check_name, execution_status FROM asset_check_executions"
                " WHERE run_id = %s AND execution_status <> 'PLANNED'",
                run_id,
            )
            # (a partitioned check has a row per month)
            assert {("/".join(json.loads(key)), name, status) for key, name, status in checks} == {
                (*check, "SUCCEEDED") for check in expected_checks
            }
        # the schedule's tick and the sensors' ticks, by name through the same instance
        states = {s.name: s for s in instance.all_instigator_state()}
        ticks = {
            name: instance.get_ticks(states[name].instigator_origin_id, states[name].selector_id)
            for name in ("weekly_refresh", "freshness_alerts", "run_failure_alerts")
        }
        assert all(ticks.values()), {name: len(found) for name, found in ticks.items()}
        assert database.query("SELECT count(*) FROM job_ticks")[0][0] >= 3
        assert pipeline.view() == pipeline.expected_view()
        mark("checked in postgres")

        # Restart the daemon and the webserver, upgrading the schema in between as the README says.
        restarted_at = time.time()
        topology.stop("daemon", "webserver")
        mark("daemon and webserver stopped")
        migrate = subprocess.run(
            [str(Path(sys.executable).with_name("dagster")), "instance", "migrate"],
            env=dagster_env,
            cwd=cwd,
            capture_output=True,
            text=True,
        )
        assert migrate.returncode == 0, migrate.stdout + migrate.stderr
        mark("instance migrated")
        topology.start("daemon", dagster_env)
        topology.start("webserver", dagster_env, port=web_port)
        wait_for("the restarted webserver", ui.up, topology, timeout=60)
        mark("restarted (with migrate)")

        variables = {
            "schedule": selector("schedule", "weekly_refresh"),
            "freshness": selector("sensor", "freshness_alerts"),
            "failure": selector("sensor", "run_failure_alerts"),
        }

        def history_with_the_new_daemon():
            seen = ui.graphql(HISTORY, **variables)
            beats = {d["daemonType"]: d for d in seen["instance"]["daemonHealth"]["allDaemonStatuses"]}
            fresh = all((beats[t]["lastHeartbeatTime"] or 0) > restarted_at for t in ("SCHEDULER", "SENSOR"))
            return seen if fresh else None

        seen = wait_for("the restarted daemon's heartbeat", history_with_the_new_daemon, topology, timeout=60)
        shown = {run["runId"]: run for run in seen["runsOrError"]["results"]}
        assert set(shown) == set(run_ids), topology.tail()
        for run in shown.values():
            assert run["status"] == "SUCCESS"
            assert {"/".join(m["assetKey"]["path"]) for m in run["assetMaterializations"]} == expected_assets
            assert {"key": "dagster/schedule_name", "value": "weekly_refresh"} in run["tags"]
        schedule_state = seen["scheduleOrError"]["scheduleState"]
        assert schedule_state["status"] == "STOPPED"
        assert any(sorted(t["runIds"]) == sorted(run_ids) for t in schedule_state["ticks"])
        for sensor in ("freshness", "failure"):
            sensor_state = seen[sensor]["sensorState"]
            assert sensor_state["status"] == "RUNNING" and sensor_state["ticks"], (sensor, sensor_state)
        mark("history after the restart")
    print("test_deploy phases: " + ", ".join(f"{what} {at:.1f} s" for what, at in marks))
