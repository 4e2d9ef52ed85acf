"""One embedded deployment for the tests, the benchmarks and the soak: the services on free
loopback ports under a private SHOPPING_HOME, bootstrapped, and isolated targets on them.

    with EmbeddedDeployment(home, SHOPPING_STEP_RETRY_DELAY="1") as deployment:
        settings = deployment.target("chain")        # its own database and bucket prefix
        instance = deployment.instance("chain")      # its own Dagster instance

While it is open the process's environment names it (as `shopping-pipeline` would be
configured), so commands and child processes started from here use it too.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import replace
from pathlib import Path

from shopping_assets.embedded import bootstrap, services
from shopping_assets.settings import Settings


class EmbeddedDeployment:
    def __init__(self, home: Path, **environment: str):
        self.home = Path(home)
        self.environment = {
            "SHOPPING_DEPLOYMENT": "local",
            "SHOPPING_HOME": str(self.home),
            "SHOPPING_S3_PORT": str(services.free_port()),
            "SHOPPING_SNOWFLAKE_PORT": str(services.free_port()),
            "SHOPPING_OUTPUT_DIR": str(self.home / "output"),
            "DAGSTER_HOME": str(self.home / "dagster"),
            # a fixed range, whatever a test's input folder holds when the definitions load
            "SHOPPING_FIRST_MONTH": "2015-01",
            **environment,
        }
        self.settings: Settings | None = None
        self.start_seconds = 0.0
        self._saved: dict[str, str] = {}

    @property
    def service_pids(self) -> dict[str, int | None]:
        return {service.name: service.pid() for service in services.services(self.settings)}

    def __enter__(self) -> EmbeddedDeployment:
        from shopping_assets.instance import INSTANCE_CONFIG

        self._saved = dict(os.environ)
        os.environ.update(self.environment)
        (self.home / "dagster").mkdir(parents=True, exist_ok=True)
        (self.home / "dagster" / "dagster.yaml").write_text(INSTANCE_CONFIG)
        self.settings = Settings.from_env()
        started = time.perf_counter()
        try:
            services.start(self.settings)
            bootstrap.bucket(self.settings)
        except BaseException:
            self.__exit__()
            raise
        self.start_seconds = time.perf_counter() - started
        return self

    def __exit__(self, *exc) -> None:
        try:
            services.stop(self.settings)
        finally:
            os.environ.clear()
            os.environ.update(self._saved)

    def target(self, name: str) -> Settings:
        """Settings of a database and bucket prefix of their own on these services, bootstrapped."""
        unique = f"{name}_{uuid.uuid4().hex[:8]}"
        settings = replace(self.settings, database=unique.upper(), prefix=f"{unique.lower().replace('_', '-')}/")
        bootstrap.warehouse(settings)
        return settings

    def instance(self, name: str):
        """A Dagster instance of its own (SQLite, as the embedded deployment's), with its dagster.yaml."""
        from dagster import DagsterInstance

        from shopping_assets.instance import INSTANCE_CONFIG

        home = self.home / "dagster" / name
        home.mkdir(parents=True, exist_ok=True)
        (home / "dagster.yaml").write_text(INSTANCE_CONFIG)
        return DagsterInstance.from_config(str(home))
