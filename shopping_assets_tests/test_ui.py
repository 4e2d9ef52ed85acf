"""The user's way in: `shopping-pipeline dev` serves the project in the Dagster UI,
and a month launched from the UI (through the GraphQL call behind its Launch run button) is
run by the daemon in a run worker of its own and lands in the view; runs in the month-order
queue run one at a time."""

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

STATUS = """query ($id: ID!) { runOrError(runId: $id) { ... on Run { status startTime endTime } } }"""

LOCATION = """
{
  workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError {
    __typename
    ... on PythonError { message }
    ... on RepositoryLocation { repositories { name jobs { name } assetNodes { assetKey { path } } } }
  } } } }
}"""


class UI:
    def __init__(self, port: int) -> None:
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
            "selector": {
                "repositoryLocationName": "shopping_assets",
                "repositoryName": "__repository__",
                "jobName": job,
            },
            "executionMetadata": {"tags": tags},
        }
        launched = self.graphql(LAUNCH, params=params)["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        return launched["run"]["runId"]

    def run(self, run_id: str) -> dict:
        """The run's status, startTime and endTime (epoch seconds; None until it starts or ends)."""
        return self.graphql(STATUS, id=run_id)["runOrError"]

    def wait(self, run_id: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.run(run_id)["status"]
            if status in {"SUCCESS", "FAILURE", "CANCELED"}:
                return status
            time.sleep(0.5)
        return "TIMED_OUT"


@contextmanager
def dev_server(env: dict[str, str], log: Path):
    """`shopping-pipeline dev` on a free port, stopped with Ctrl-C as a user does."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("shopping-pipeline")), "dev", "--port", str(port)]
    with log.open("w") as output:
        # a session of its own, so that a kill reaches dagster dev's webserver and daemon too
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    ui = UI(port)
    try:
        deadline = time.monotonic() + 90
        while not ui.up():
            assert process.poll() is None, f"shopping-pipeline dev exited: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, "the UI did not answer within 90 s"
            time.sleep(0.5)
        yield ui
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_a_month_materialised_from_the_ui_lands_in_the_view(make_pipeline, tmp_path):
    from shopping_assets.instance import MONTH_ORDER_QUEUE
    from shopping_assets.partitions import monthly_partitions

    pipeline = make_pipeline(generate=True)
    month = monthly_partitions(pipeline.settings).get_partition_keys()[-2]
    assets = {key.to_user_string() for key in pipeline.definitions().resolve_asset_graph().get_all_asset_keys()}
    env = {
        **os.environ,
        # the test's own database, prefix, input folder and Dagster instance, on the session's services
        "SNOWFLAKE_DATABASE": pipeline.settings.database,
        "SHOPPING_S3_PREFIX": pipeline.settings.prefix,
        "SHOPPING_INPUT_DIR": str(pipeline.input_dir),
        "SHOPPING_CUSTOMERS": "40",
        "DAGSTER_HOME": str(tmp_path / "dagster"),
    }
    (tmp_path / "dagster").mkdir()

    log = tmp_path / "dev.log"
    with dev_server(env, log) as ui:
        (entry,) = ui.graphql(LOCATION)["workspaceOrError"]["locationEntries"]
        location = entry["locationOrLoadError"]
        assert location["__typename"] == "RepositoryLocation", location
        (repository,) = location["repositories"]
        shown = {"/".join(node["assetKey"]["path"]) for node in repository["assetNodes"]}
        assert shown == assets
        jobs = {job["name"] for job in repository["jobs"]}
        assert {"reference_job", "transactions_job", "publish_job", "weekly_job", "audit_job"} <= jobs

        for job, partition in [("reference_job", None), ("transactions_job", month), ("publish_job", None)]:
            status = ui.wait(ui.launch(job, partition))
            assert status == "SUCCESS", f"{job} {partition or ''}: {status}\n{log.read_text()[-3000:]}"

        # Two runs in the month-order queue, launched back to back: the daemon starts the second
        # only after the first has ended (without the instance's limit both would start at once).
        first, second = (ui.launch("weekly_job", month, **{MONTH_ORDER_QUEUE: "test"}) for _ in range(2))
        assert [ui.wait(first), ui.wait(second)] == ["SUCCESS", "SUCCESS"], log.read_text()[-3000:]
        before, after = ui.run(first), ui.run(second)
        assert before["startTime"] < before["endTime"] <= after["startTime"], (before, after)

    view = pipeline.view()
    assert view and view == pipeline.expected_view()
