"""Deployment settings, read once from environment variables.

Everything that differs between the embedded default and production lives here,
so the assets and SQL never ask "where am I running?". Names that end up in SQL
text (database, schemas, stage) or in S3 keys are validated here, before any
statement is built; values always travel as bound parameters.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from shopping_assets.errors import UserFacingError

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX = re.compile(r"^([A-Za-z0-9_.-]+/)*$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

DEPLOYMENTS = ("local", "prod")


class SettingsError(UserFacingError, ValueError):
    """A configuration value is missing or unsafe; the message names the variable."""


def identifier(value: str, variable: str) -> str:
    """An unquoted Snowflake identifier, upper-cased as Snowflake stores it."""
    if not _IDENTIFIER.match(value):
        raise SettingsError(f"{variable}={value!r} is not a plain Snowflake identifier ([A-Za-z_][A-Za-z0-9_]*)")
    return value.upper()


def bucket_name(value: str, variable: str = "SHOPPING_BUCKET") -> str:
    if not _BUCKET.match(value) or ".." in value:
        raise SettingsError(f"{variable}={value!r} is not a valid S3 bucket name")
    return value


def key_prefix(value: str, variable: str = "SHOPPING_S3_PREFIX") -> str:
    """An S3 key prefix: empty, or path segments each ending in '/'."""
    value = value.strip("/")
    value = f"{value}/" if value else ""
    if not _PREFIX.match(value) or any(part in {".", ".."} for part in value.split("/")):
        raise SettingsError(f"{variable}={value!r} must be path segments of [A-Za-z0-9_.-]")
    return value


def month(value: str, variable: str) -> str:
    if not _MONTH.match(value):
        raise SettingsError(f"{variable}={value!r} must look like YYYY-MM")
    return value


def _env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def whole_number(name: str, default: int, minimum: int = 1) -> int:
    raw = _env(name, str(default))
    if not raw.isdigit() or int(raw) < minimum:
        raise SettingsError(f"{name}={raw!r} must be a whole number of at least {minimum}")
    return int(raw)


def seconds(name: str, default: float) -> float:
    raw = _env(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise SettingsError(f"{name}={raw!r} must be a number of seconds, 0 or more")
    return value


def _port(name: str, default: int) -> int:
    raw = _env(name, str(default))
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError(f"{name}={raw!r} is not a TCP port")
    return int(raw)


@dataclass(frozen=True)
class Settings:
    deployment: str
    home: Path
    input_dir: Path
    output_dir: Path
    first_month: str
    bucket: str
    prefix: str
    region: str
    database: str
    warehouse: str | None
    role: str | None
    storage_integration: str
    snowflake_key_passphrase: bool
    s3_port: int
    snowflake_port: int
    # attempts per S3 request, the first included (botocore standard retry mode)
    s3_max_attempts: int = 5
    # seconds a Snowflake statement waits for a lock (the load lock) before it fails
    lock_timeout: int = 120

    @property
    def local(self) -> bool:
        return self.deployment == "local"

    @property
    def s3_endpoint(self) -> str | None:
        return f"http://127.0.0.1:{self.s3_port}" if self.local else None

    @property
    def stage_url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    @property
    def state_dir(self) -> Path:
        """Where the embedded servers keep their data between restarts."""
        return self.home / "state"

    @classmethod
    def from_env(cls) -> Settings:
        deployment = _env("SHOPPING_DEPLOYMENT", "local").lower()
        if deployment not in DEPLOYMENTS:
            raise SettingsError(f"SHOPPING_DEPLOYMENT={deployment!r} must be one of {', '.join(DEPLOYMENTS)}")
        home = Path(_env("SHOPPING_HOME", ".shopping")).resolve()
        warehouse = os.environ.get("SNOWFLAKE_WAREHOUSE", "").strip()
        role = os.environ.get("SNOWFLAKE_ROLE", "").strip()
        return cls(
            deployment=deployment,
            home=home,
            input_dir=Path(_env("SHOPPING_INPUT_DIR", "input_data/starter")).resolve(),
            output_dir=Path(_env("SHOPPING_OUTPUT_DIR", "output_data")).resolve(),
            first_month=month(_env("SHOPPING_FIRST_MONTH", "2015-01"), "SHOPPING_FIRST_MONTH"),
            bucket=bucket_name(_env("SHOPPING_BUCKET", "shopping-patterns")),
            prefix=key_prefix(_env("SHOPPING_S3_PREFIX", "")),
            region=_env("AWS_REGION", _env("AWS_DEFAULT_REGION", "eu-west-2")),
            database=identifier(_env("SNOWFLAKE_DATABASE", "SHOPPING"), "SNOWFLAKE_DATABASE"),
            warehouse=identifier(warehouse, "SNOWFLAKE_WAREHOUSE") if warehouse else None,
            role=identifier(role, "SNOWFLAKE_ROLE") if role else None,
            storage_integration=identifier(
                _env("SNOWFLAKE_STORAGE_INTEGRATION", "SHOPPING_S3"), "SNOWFLAKE_STORAGE_INTEGRATION"
            ),
            snowflake_key_passphrase=bool(os.environ.get("SNOWFLAKE_PRIVATE_KEY_PASSWORD", "")),
            s3_port=_port("SHOPPING_S3_PORT", 9571),
            snowflake_port=_port("SHOPPING_SNOWFLAKE_PORT", 9572),
            s3_max_attempts=whole_number("SHOPPING_S3_MAX_ATTEMPTS", 5),
            lock_timeout=whole_number("SHOPPING_LOCK_TIMEOUT", 120),
        )
