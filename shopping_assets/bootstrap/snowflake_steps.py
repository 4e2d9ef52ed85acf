"""The Snowflake half of bootstrap: statements from sql/bootstrap/, and the administrator's session.

Identifiers come only from validated configuration (`statements.render` checks each one);
values (the role ARN, allowed location, public keys) are bound by the connector.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from shopping_assets import statements
from shopping_assets.bootstrap.aws_steps import role_arn
from shopping_assets.bootstrap.config import BootstrapConfig, ServiceAccount
from shopping_assets.bootstrap.steps import BootstrapError, PublicKey, SqlStep, resolve
from shopping_assets.embedded import emulator_gaps
from shopping_assets.settings import environment

# DESC INTEGRATION property -> context key the IAM trust policy reads
HANDSHAKE = {
    "storage_aws_iam_user_arn": "STORAGE_AWS_IAM_USER_ARN",
    "storage_aws_external_id": "STORAGE_AWS_EXTERNAL_ID",
}


# The pipeline's own objects, created by bootstrap and never at run time (the pipeline's
# role has no CREATE privilege for them but MART's tables, for write_pandas' CREATE TABLE
# IF NOT EXISTS), in dependency order.
PIPELINE_OBJECTS = (
    ("setup/02_file_formats", "the file formats the loads read with, every option explicit"),
    ("setup/03_stage", "the stage over the bucket's prefix, through the storage integration"),
    ("setup/04_tables", "RAW and STAGING tables"),
    ("setup/05_staging_views", "the typed reference views and their checks"),
    ("setup/06_load_lock", "the load lock"),
    ("setup/07_weekly_summary", "MART.WEEKLY_SUMMARY, which the pandas IO manager rewrites"),
)


def _steps(name: str, identifiers: dict[str, str], purpose: str, **params: Any) -> list[SqlStep]:
    source = name if "/" in name else f"bootstrap/{name}"
    return [
        SqlStep(statement, {k: v for k, v in params.items() if f"%({k})s" in statement}, purpose, source)
        for statement in statements.render(source, identifiers)
    ]


def identifiers(config: BootstrapConfig) -> dict[str, str]:
    return {
        "database": config.database,
        "warehouse": config.warehouse,
        "storage_integration": config.storage_integration,
        **config.roles,
    }


def object_steps(config: BootstrapConfig) -> list[SqlStep]:
    """Warehouse, database, schemas, the storage integration, and the hand-shake's read-back."""
    names = identifiers(config)
    describe = _steps("04_describe_integration", names, "read back the integration's IAM user and external ID")
    for step in describe:
        step.outputs = dict(HANDSHAKE)
    return [
        *_steps("00_use_role", {"admin_role": config.admin_role}, "objects are created as this role"),
        *_steps("01_warehouse", names, "an XSMALL warehouse that suspends after 60 s"),
        *database_steps(config),
        *_steps(
            "03_storage_integration",
            names,
            "the storage integration (created, or altered in place)",
            role_arn=role_arn(config),
            allowed_location=config.allowed_location,
        ),
        *pipeline_object_steps(config),
        *describe,
    ]


def database_steps(config: BootstrapConfig) -> list[SqlStep]:
    return _steps("02_database", identifiers(config), "the database and its RAW, STAGING and MART schemas")


def pipeline_object_steps(config: BootstrapConfig, emulator: bool = False) -> list[SqlStep]:
    """sql/setup/, as the administrator's role (which then owns them); on the emulator, with its stand-ins."""
    names = identifiers(config)
    steps = []
    for name, purpose in PIPELINE_OBJECTS:
        steps += _steps(emulator_gaps.statement_for(name, emulator), names, purpose, stage_url=config.allowed_location)
    return steps


def access_steps(config: BootstrapConfig) -> list[SqlStep]:
    """Roles, their grants, and one key-pair service user per role."""
    names = identifiers(config)
    steps = [
        *_steps("00_use_role", {"admin_role": config.security_admin_role}, "roles, users and grants as this role"),
        *_steps("05_roles", names, "the loader, transformer, reader and pipeline roles"),
        *_steps("06_grants_loader", names, "loader: RAW only"),
        *_steps("07_grants_transformer", names, "transformer: reads RAW, builds STAGING and MART"),
        *_steps("08_grants_reader", names, "reader: MART only, read only"),
    ]
    for account in config.accounts:
        steps += service_user_steps(config, account)
    return steps


def service_user_steps(config: BootstrapConfig, account: ServiceAccount) -> list[SqlStep]:
    names = {"user": account.user, "role": account.role, "warehouse": config.warehouse}
    purpose = f"service user for {account.role} (key-pair only)"
    steps = _steps(
        "09_service_user", names, purpose, public_key=PublicKey(account.public_key_variable, account.public_key_path)
    )
    if account.second_key_path:
        key = PublicKey(account.second_key_variable, account.second_key_path)
        return steps + _steps(
            "10_service_user_second_key", names, "its second key: a rotation under way", public_key=key
        )
    return steps + _steps("11_service_user_no_second_key", names, "no rotation under way: the second key slot is empty")


def connect_from_env(config: BootstrapConfig, environ: Mapping[str, str] | None = None):
    """The administrator's session. Credentials are read here, used once, and never kept or printed."""
    env = environment() if environ is None else environ

    def get(name: str) -> str:
        return env.get(name, "").strip()

    missing = [name for name in ("SNOWFLAKE_ACCOUNT", "SNOWFLAKE_ADMIN_USER") if not get(name)]
    if missing:
        raise BootstrapError(f"{' and '.join(missing)} must be set to apply the Snowflake steps")
    args: dict[str, Any] = {
        "account": get("SNOWFLAKE_ACCOUNT"),
        "user": get("SNOWFLAKE_ADMIN_USER"),
        "role": config.admin_role,
        "session_parameters": {"QUERY_TAG": "shopping-pipeline bootstrap"},
    }
    # Key pair or single sign-on: Snowflake refuses password-only logins under its MFA enforcement.
    if get("SNOWFLAKE_ADMIN_PRIVATE_KEY_PATH"):
        args["private_key_file"] = get("SNOWFLAKE_ADMIN_PRIVATE_KEY_PATH")
        if get("SNOWFLAKE_ADMIN_PRIVATE_KEY_PASSWORD"):
            args["private_key_file_pwd"] = get("SNOWFLAKE_ADMIN_PRIVATE_KEY_PASSWORD")
    elif get("SNOWFLAKE_ADMIN_AUTHENTICATOR"):
        args["authenticator"] = get("SNOWFLAKE_ADMIN_AUTHENTICATOR")  # e.g. externalbrowser (SSO)
    else:
        raise BootstrapError(
            "no Snowflake administrator login: set SNOWFLAKE_ADMIN_PRIVATE_KEY_PATH "
            "(+ SNOWFLAKE_ADMIN_PRIVATE_KEY_PASSWORD) for a key pair, or "
            "SNOWFLAKE_ADMIN_AUTHENTICATOR=externalbrowser for single sign-on "
            "(Snowflake refuses password-only logins under its MFA enforcement)"
        )
    import snowflake.connector

    try:
        return snowflake.connector.connect(**args)
    except snowflake.connector.errors.Error as error:
        raise BootstrapError(
            f"cannot connect to Snowflake account {args['account']} as {args['user']}: {error.msg}"
        ) from None


class SnowflakeExecutor:
    """Runs the plan's statements in one session, opened on first use (never in a dry run)."""

    def __init__(self, connect: Callable[[], Any]):
        self._connect = connect
        self.connection = None

    def run(self, step: SqlStep, context: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        import snowflake.connector

        if self.connection is None:
            self.connection = self._connect()
        params = resolve(step.params, context)
        try:
            cursor = self.connection.cursor()
            cursor.execute(step.sql, params or None)
            rows = cursor.fetchall() if step.outputs else []
        except snowflake.connector.errors.Error as error:
            raise BootstrapError(f"{step.title()} failed: {error.msg}") from None
        if not step.outputs:
            return "ok", {}
        properties = {str(row[0]).upper(): row[2] for row in rows}
        missing = [name for name in step.outputs.values() if not properties.get(name)]
        if missing:
            raise BootstrapError(f"{step.title()}: the result has no {', '.join(missing)}")
        return "ok", {key: properties[name] for key, name in step.outputs.items()}

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
