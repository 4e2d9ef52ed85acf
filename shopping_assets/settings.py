"""Deployment settings: the only place the project reads its environment.

Everything that differs between the embedded default and production, and every knob
a deployer may turn, is read here, when `Settings.from_env()` is called (never at
import), so the assets and SQL never ask "where am I running?". Names that end up in
SQL text (database, schemas, stage) or in S3 keys are validated here, before any
statement is built; values always travel as bound parameters. Secrets are not held
here at all: resources read them as Dagster `EnvVar`s when they connect, and
settings only record whether one is set, to name a missing one early.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shopping_assets.errors import UserFacingError

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX = re.compile(r"^([A-Za-z0-9_.-]+/)*$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_TRUE = {"1", "true", "yes", "on"}

DEPLOYMENTS = ("local", "prod")


class SettingsError(UserFacingError, ValueError):
    """A configuration value is missing or unsafe; the message names the variable."""


def environment() -> Mapping[str, str]:
    """The process's environment, for the few readers that take a whole mapping (bootstrap's
    configuration, the redaction of printed text, the administrator's login)."""
    return os.environ


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


# Months of history `shopping-pipeline run` generates by default, and the partitions an
# embedded deployment starts with before its input folder holds any transactions.
GENERATED_MONTHS = 6
_DAY_FOLDER = re.compile(r"^d=(\d{4}-\d{2})-\d{2}$")


def first_month(local: bool, input_dir: Path) -> str | None:
    """The first month partition: SHOPPING_FIRST_MONTH, else (locally) the input folder's first
    month, so the partitions match the data and "missing" in the UI means missing; with no data
    yet, the months `run` would generate. Production has no default (partitions.py says so)."""
    configured = _env("SHOPPING_FIRST_MONTH")
    if configured or not local:
        return month(configured, "SHOPPING_FIRST_MONTH") if configured else None
    folder = input_dir / "transactions"
    months = sorted(m.group(1) for m in map(_DAY_FOLDER.match, os.listdir(folder) if folder.is_dir() else ()) if m)
    if months:
        return months[0]
    from datetime import date

    today = date.today()
    start = today.year * 12 + today.month - GENERATED_MONTHS  # months since year 0, zero-based
    return f"{start // 12:04d}-{start % 12 + 1:02d}"


def widen_first_month(month: str) -> None:
    """Start the partitions at `month` for every later `Settings.from_env()` in this process:
    the code location's modules read their settings themselves, as dg loads them."""
    os.environ["SHOPPING_FIRST_MONTH"] = month


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def _set(name: str) -> bool:
    return bool(os.environ.get(name, ""))


def flag(name: str, default: bool) -> bool:
    return _env(name, "true" if default else "false").lower() in _TRUE


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


def rate(name: str, default: float) -> float:
    raw = _env(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if not 0 <= value <= 1:
        raise SettingsError(f"{name}={raw!r} must be between 0 and 1")
    return value


def port(name: str, default: int) -> int:
    raw = _env(name, str(default))
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError(f"{name}={raw!r} is not a TCP port")
    return int(raw)


@dataclass(frozen=True)
class AlertSettings:
    """Where alerts go. The SMTP password and the Slack webhook URL (itself a credential)
    are read by the notifier resources through EnvVar; here only whether they are set."""

    smtp_host: str = ""
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password_set: bool = False
    email_from: str = "shopping-pipeline@localhost"
    email_to: tuple[str, ...] = ()
    slack_webhook_set: bool = False
    # the Dagster UI's address, for the links in alerts
    ui_url: str = "http://127.0.0.1:3000"

    @classmethod
    def from_env(cls) -> AlertSettings:
        host = _env("SHOPPING_ALERT_SMTP_HOST")
        recipients = tuple(a.strip() for a in _env("SHOPPING_ALERT_EMAIL_TO").split(",") if a.strip())
        starttls = flag("SHOPPING_ALERT_SMTP_STARTTLS", False)
        user = _env("SHOPPING_ALERT_SMTP_USER")
        password_set = _set("SHOPPING_ALERT_SMTP_PASSWORD")
        if host and not recipients:
            raise SettingsError(
                "SHOPPING_ALERT_SMTP_HOST is set but SHOPPING_ALERT_EMAIL_TO (comma separated) is empty"
            )
        if user and not password_set:
            raise SettingsError("SHOPPING_ALERT_SMTP_USER is set but SHOPPING_ALERT_SMTP_PASSWORD is empty")
        webhook = _env("SHOPPING_ALERT_SLACK_WEBHOOK_URL")
        if webhook and not webhook.startswith(("https://", "http://")):
            raise SettingsError("SHOPPING_ALERT_SLACK_WEBHOOK_URL must be an http(s) URL")  # its value is a secret
        ui_url = _env("SHOPPING_UI_URL", cls.ui_url).rstrip("/")
        if not ui_url.startswith(("https://", "http://")):
            raise SettingsError(f"SHOPPING_UI_URL={ui_url!r} must be an http(s) URL")
        return cls(
            smtp_host=host,
            smtp_port=port("SHOPPING_ALERT_SMTP_PORT", 587 if starttls else 25),
            smtp_starttls=starttls,
            smtp_user=user,
            smtp_password_set=password_set,
            email_from=_env("SHOPPING_ALERT_EMAIL_FROM", cls.email_from),
            email_to=recipients,
            slack_webhook_set=bool(webhook),
            ui_url=ui_url,
        )


@dataclass(frozen=True)
class Settings:
    deployment: str
    home: Path
    input_dir: Path
    output_dir: Path
    first_month: str | None
    # set by SHOPPING_FIRST_MONTH, so `run` never widens it to the data (as it does locally otherwise)
    first_month_configured: bool
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
    # materialising the input assets generates their files first (local default)
    generate: bool = True
    customers: int = 137
    seed: int = 42
    # a step that fails on a service is run again this often, the first wait this long
    step_retries: int = 3
    step_retry_delay: float = 2.0
    # months a backfill run loads; 0: a backfill is one run, however many months
    backfill_months_per_run: int = 0
    weekly_cron: str = "0 6 * * 1"
    # monitored assets must be materialized in the lower bound's hours before each deadline
    freshness_deadline_cron: str = "0 12 * * 1"
    freshness_lower_bound_hours: int = 6
    quarantine_warn_rate: float = 0.01
    quarantine_max_rate: float = 0.10
    # how many weeks, back from the latest purchase loaded, MART.WEEKLY_SUMMARY shows
    summary_weeks: int = 12
    # how long the emulator keeps a dead client's open transaction (Snowflake: 5 minutes)
    emulator_detached_timeout: float = 30.0
    dagster_home: Path | None = None
    alerts: AlertSettings = field(default_factory=AlertSettings)

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
        local = deployment == "local"
        warehouse, role = _env("SNOWFLAKE_WAREHOUSE"), _env("SNOWFLAKE_ROLE")
        dagster_home = _env("DAGSTER_HOME")
        input_dir = Path(_env("SHOPPING_INPUT_DIR", "input_data/starter")).resolve()
        return cls(
            deployment=deployment,
            home=Path(_env("SHOPPING_HOME", ".shopping")).resolve(),
            input_dir=input_dir,
            output_dir=Path(_env("SHOPPING_OUTPUT_DIR", "output_data")).resolve(),
            first_month=first_month(local, input_dir),
            first_month_configured=_set("SHOPPING_FIRST_MONTH"),
            bucket=bucket_name(_env("SHOPPING_BUCKET", "shopping-patterns")),
            prefix=key_prefix(_env("SHOPPING_S3_PREFIX")),
            region=_env("AWS_REGION", _env("AWS_DEFAULT_REGION", "eu-west-2")),
            database=identifier(_env("SNOWFLAKE_DATABASE", "SHOPPING"), "SNOWFLAKE_DATABASE"),
            warehouse=identifier(warehouse, "SNOWFLAKE_WAREHOUSE") if warehouse else None,
            role=identifier(role, "SNOWFLAKE_ROLE") if role else None,
            storage_integration=identifier(
                _env("SNOWFLAKE_STORAGE_INTEGRATION", "SHOPPING_S3"), "SNOWFLAKE_STORAGE_INTEGRATION"
            ),
            snowflake_key_passphrase=_set("SNOWFLAKE_PRIVATE_KEY_PASSWORD"),
            s3_port=port("SHOPPING_S3_PORT", 9571),
            snowflake_port=port("SHOPPING_SNOWFLAKE_PORT", 9572),
            s3_max_attempts=whole_number("SHOPPING_S3_MAX_ATTEMPTS", 5),
            lock_timeout=whole_number("SHOPPING_LOCK_TIMEOUT", 120),
            generate=flag("SHOPPING_GENERATE", local),
            customers=whole_number("SHOPPING_CUSTOMERS", 137),
            seed=whole_number("SHOPPING_SEED", 42, minimum=0),
            step_retries=whole_number("SHOPPING_STEP_RETRIES", 3, minimum=0),
            step_retry_delay=seconds("SHOPPING_STEP_RETRY_DELAY", 2),
            backfill_months_per_run=whole_number("SHOPPING_BACKFILL_MONTHS_PER_RUN", 0, minimum=0),
            weekly_cron=_env("SHOPPING_WEEKLY_CRON", cls.weekly_cron),
            freshness_deadline_cron=_env("SHOPPING_FRESHNESS_DEADLINE_CRON", cls.freshness_deadline_cron),
            freshness_lower_bound_hours=whole_number("SHOPPING_FRESHNESS_LOWER_BOUND_HOURS", 6),
            quarantine_warn_rate=rate("SHOPPING_QUARANTINE_WARN_RATE", 0.01),
            quarantine_max_rate=rate("SHOPPING_QUARANTINE_MAX_RATE", 0.10),
            summary_weeks=whole_number("SHOPPING_SUMMARY_WEEKS", 12),
            emulator_detached_timeout=seconds("SHOPPING_EMULATOR_DETACHED_TIMEOUT", 30),
            dagster_home=Path(dagster_home).resolve() if dagster_home else None,
            alerts=AlertSettings.from_env(),
        )
