"""A real `shopping-pipeline dev` for the UI tests and the backfill benchmark, and the GraphQL
calls behind the UI's buttons."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from shopping_assets.embedded.services import free_port

LAUNCH = """
mutation ($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on Error { message }
  }
}"""

LAUNCH_BACKFILL = """
mutation ($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
  }
}"""
BACKFILL = """
query ($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    ... on PartitionBackfill { status runs { id status tags { key value } } }
    ... on PythonError { message }
  }
}"""
REPOSITORY = {"repositoryLocationName": "shopping_assets", "repositoryName": "__repository__"}
STATUS = """query ($id: ID!) { runOrError(runId: $id) { ... on Run { status startTime endTime } } }"""
STEPS = """query ($id: ID!) { runOrError(runId: $id) { ... on Run { stepStats { stepKey status } } } }"""


class UI:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def graphql(self, query: str, **variables) -> dict:
        body = json.dumps({"query": query, "variables": variables}).encode()
        request = urllib.request.Request(f"{self.url}/graphql", body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)["data"]

    def up(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/server_info", timeout=2):
                return True
        except (urllib.error.URLError, OSError):
            return False

    def launch(self, job: str, partition: str | None = None, **extra_tags: str) -> str:
        tags = [{"key": "dagster/partition", "value": partition}] if partition else []
        tags += [{"key": key, "value": value} for key, value in extra_tags.items()]
        params = {
            "selector": {**REPOSITORY, "jobName": job},
            "executionMetadata": {"tags": tags},
        }
        launched = self.graphql(LAUNCH, params=params)["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        return launched["run"]["runId"]

    def launch_backfill(self, params: dict) -> str:
        """The call behind a Launch backfill button; the backfill's id."""
        launched = self.graphql(LAUNCH_BACKFILL, params=params)["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        return launched["backfillId"]

    def backfill_job(self, job: str, partitions: list[str] | None = None, **tags: str) -> str:
        """The job's backfill of these partitions (default all), with these tags on its runs, as its
        Partitions page launches it; its id."""
        selector = {"partitionSetName": f"{job}_partition_set", "repositorySelector": REPOSITORY}
        which = {"partitionNames": partitions} if partitions else {"allPartitions": True}
        tagged = {"tags": [{"key": key, "value": value} for key, value in tags.items()]} if tags else {}
        return self.launch_backfill({"selector": selector, **which, **tagged})

    def backfill(self, backfill_id: str) -> dict:
        """The backfill's status and its runs (id, status, tags), as far as the daemon has got."""
        return self.graphql(BACKFILL, id=backfill_id)["partitionBackfillOrError"]

    def run(self, run_id: str) -> dict:
        """The run's status, startTime and endTime (epoch seconds; None until it starts or ends)."""
        return self.graphql(STATUS, id=run_id)["runOrError"]

    def steps(self, run_id: str) -> dict[str, str]:
        """Each step of the run, by key: its status."""
        stats = self.graphql(STEPS, id=run_id)["runOrError"]["stepStats"]
        return {step["stepKey"]: step["status"] for step in stats}

    def wait(self, run_id: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.run(run_id)["status"]
            if status in {"SUCCESS", "FAILURE", "CANCELED"}:
                return status
            time.sleep(0.5)
        return "TIMED_OUT"


def dev_env(pipeline, dagster_home: Path) -> dict[str, str]:
    """The environment of a `shopping-pipeline dev` serving the test's own database, prefix,
    input folder and Dagster instance, on the session's services."""
    dagster_home.mkdir()
    return {
        **os.environ,
        "SNOWFLAKE_DATABASE": pipeline.settings.database,
        "SHOPPING_S3_PREFIX": pipeline.settings.prefix,
        "SHOPPING_INPUT_DIR": str(pipeline.input_dir),
        "SHOPPING_CUSTOMERS": "40",
        "DAGSTER_HOME": str(dagster_home),
    }


@contextmanager
def dev_server(env: dict[str, str], log: Path, timeout: float = 90):
    """`shopping-pipeline dev` on a free port, stopped with Ctrl-C as a user does."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("shopping-pipeline")), "dev", "--port", str(port)]
    with log.open("w") as output:
        # a session of its own, so that a kill reaches dagster dev's webserver and daemon too
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    ui = UI(port)
    try:
        deadline = time.monotonic() + timeout
        while not ui.up():
            if process.poll() is not None:
                raise RuntimeError(f"shopping-pipeline dev exited: {log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the UI did not answer within {timeout:.0f} s")
            time.sleep(0.5)
        yield ui
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
