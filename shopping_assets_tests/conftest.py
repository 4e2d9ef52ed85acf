"""Fixtures: the real embedded services on free loopback ports, and a pipeline per test.

The services start once per test session under a temporary SHOPPING_HOME and stop
at the end. Each test gets its own database and bucket prefix, so tests never see
each other's rows or objects.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from shopping_assets_tests import oracle

# Tests wait less than production does between step retries, for a dead client's
# locks, and for botocore's retries.
TEST_TIMINGS = {
    "SHOPPING_STEP_RETRY_DELAY": "1",
    "SHOPPING_EMULATOR_DETACHED_TIMEOUT": "2",
    "SHOPPING_S3_MAX_ATTEMPTS": "3",
}


def pytest_configure(config) -> None:
    """A test process keeps many objects alive across its tests (instances, definitions, results);
    the collector's full passes over them were a tenth of its CPU. Fewer, larger passes halve that."""
    gc.set_threshold(2000, 20, 50)


def pytest_collection_modifyitems(items) -> None:
    """Tests that need the session's embedded services (the `deployment` fixture, which `settings`
    and `make_pipeline` use) are the `services` tier; tests that start services of their own are
    marked so by hand."""
    for item in items:
        if "deployment" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.services)


def instance_on(home: Path):
    """A Dagster instance on `home`'s dagster.yaml, not entered: entering one makes it the
    current instance of every definitions load in this process, past its disposal."""
    from dagster import DagsterInstance

    return DagsterInstance.from_config(str(home))


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory):
    """An instance as the CLI writes it: its run queue runs the month-order queue one run at a time."""
    from shopping_assets.instance import INSTANCE_CONFIG

    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text(INSTANCE_CONFIG)
    created = instance_on(home)
    yield created
    created.dispose()


@pytest.fixture(scope="session")
def deployment(tmp_path_factory: pytest.TempPathFactory):
    """The embedded deployment the whole session uses, services running. Its home (the
    emulators' data, the Dagster instance's SQLite files) is on tmpfs where there is one:
    the many small synced writes of each run then cost a fifth less."""
    import shutil
    import tempfile

    from harness.deployment import EmbeddedDeployment

    shm = tmpfs()
    home = Path(tempfile.mkdtemp(prefix="shopping-test-home-", dir=shm)) if shm else None
    try:
        with EmbeddedDeployment(home or tmp_path_factory.mktemp("shopping-home"), **TEST_TIMINGS) as running:
            yield running
    finally:
        if home:
            shutil.rmtree(home, ignore_errors=True)


def tmpfs() -> Path | None:
    """/dev/shm, where this process may write there."""
    import os

    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else None


@pytest.fixture(scope="session")
def settings(deployment):
    """Settings of the session's embedded deployment."""
    return deployment.settings


@dataclass
class Pipeline:
    """One isolated pipeline (its own database and bucket prefix) over an input folder."""

    settings: object
    input_dir: Path
    generate: bool
    # (settings, the environment's, input overrides) -> their definitions, built once as a code
    # location is (the definitions under defs/ read the environment's settings)
    _built: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _instance: object = field(default=None, init=False, repr=False, compare=False)

    @property
    def instance(self):
        """The Dagster instance of this pipeline's runs in the test's process: in memory, as
        `dg.materialize` runs, where the session's SQLite instance costs the runs a sixth more
        CPU in event writes. Processes a test starts use the session's instance."""
        if self._instance is None:
            from dagster import DagsterInstance

            self._instance = DagsterInstance.ephemeral()
        return self._instance

    def definitions(self, **input_overrides):
        from shopping_assets.settings import Settings

        key = (
            self.settings,
            Settings.from_env(),
            self.input_dir,
            self.generate,
            tuple(sorted(input_overrides.items())),
        )
        if key not in self._built:
            self._built[key] = self._build(**input_overrides)
        return self._built[key]

    def _build(self, **input_overrides):
        from shopping_assets.definitions import build_definitions
        from shopping_assets.resources import input_data

        inputs = input_data(
            self.settings,
            input_dir=str(self.input_dir),
            generate=self.generate,
            customers=40,
            end_date="2030-12-31",
            **input_overrides,
        )
        return build_definitions(self.settings, inputs)

    def materialise(self, months: list[str]) -> dict:
        from shopping_assets.runner import materialise_all

        return materialise_all(self.definitions(), self.instance, months)

    def load(self, months: list[str]):
        """The months as one weekly run loads them (their reference tables, the months as a range,
        the views, the months' snapshots), without the monthly audit: what most tests need."""
        return self.run("weekly_job", partition_range=(min(months), max(months)))

    def run(
        self,
        job: str,
        partition_key: str | None = None,
        raise_on_error: bool = True,
        partition_range: tuple[str, str] | None = None,
    ):
        from shopping_assets.runner import execute

        return execute(self.definitions(), job, self.instance, partition_key, raise_on_error, partition_range)

    def run_job(self, job: str, partition_key: str | None = None) -> dict:
        """Run a job that must succeed; its materialisations' metadata."""
        return self.run(job, partition_key).metadata

    def s3_object(self, key: str) -> str:
        lake = self.definitions().resources["lake"]
        return lake.client().get_object(Bucket=lake.bucket, Key=lake.prefix + key)["Body"].read().decode()

    def warehouse(self):
        return self.definitions().resources["warehouse"]

    def query(self, text: str) -> list[tuple]:
        """A test's own read of the warehouse ({db} is the pipeline's database)."""
        with self.warehouse().session() as session:
            cursor = session.connection.cursor()
            cursor.execute(text.format(db=self.settings.database))
            return cursor.fetchall()

    def view(self) -> dict[tuple[str, int, str, str], int]:
        rows = self.query("SELECT * FROM {db}.MART.PURCHASE_COUNTS")
        return {(c, int(score), p, cat): int(n) for c, score, p, cat, n in rows}

    def expected_view(self) -> dict[tuple[str, int, str, str], int]:
        return oracle.purchase_counts(self.input_dir)


@pytest.fixture
def lake(settings):
    """The session's embedded S3, under a prefix of this test's own."""
    import uuid

    from dagster_aws.s3 import S3Resource

    from shopping_assets.resources.lake import Lake

    s3 = S3Resource(
        endpoint_url=settings.s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="embedded",
        aws_secret_access_key="embedded",
    )
    return Lake(s3=s3, bucket=settings.bucket, prefix=f"test-{uuid.uuid4().hex[:8]}/")


@pytest.fixture
def make_pipeline(deployment, settings, tmp_path: Path):
    def make(input_dir: Path | None = None, generate: bool = False) -> Pipeline:
        return Pipeline(deployment.target("test"), input_dir or tmp_path / "input", generate)

    return make


@pytest.fixture
def pipeline(make_pipeline) -> Iterator[Pipeline]:
    yield make_pipeline(generate=True)


@pytest.fixture
def system_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty temp folder standing in for /tmp (for this process and the ones it starts),
    to see that what a test runs leaves nothing behind in it."""
    import tempfile

    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder
