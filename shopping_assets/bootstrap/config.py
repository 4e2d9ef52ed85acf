"""What bootstrap creates, read from environment variables and validated before any plan is built.

Names that end up in SQL text (warehouse, roles, users) pass `settings.identifier`;
AWS names have their own patterns. Secrets (the administrator's password or private
key passphrase) are not read here at all: `snowflake.connect` reads them from the
environment at the moment it connects, so no configuration object ever holds one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from shopping_assets.settings import Settings, SettingsError, environment, identifier

_IAM_NAME = re.compile(r"^[A-Za-z0-9+=,.@_-]{1,64}$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")

# The roles bootstrap creates, in the order it creates them. PIPELINE is the role the
# pipeline's own session runs as: it is granted LOADER and TRANSFORMER, nothing else.
ROLE_KINDS = ("loader", "transformer", "reader", "pipeline")


@dataclass(frozen=True)
class ServiceAccount:
    """A Snowflake role and the service user that logs in with it (key-pair only)."""

    kind: str
    role: str
    user: str
    public_key_variable: str
    public_key_path: str | None
    # the second key slot, set while a key rotation is under way
    second_key_variable: str = ""
    second_key_path: str | None = None


@dataclass(frozen=True)
class BootstrapConfig:
    settings: Settings
    warehouse: str
    accounts: tuple[ServiceAccount, ...]
    admin_role: str
    security_admin_role: str
    iam_role_name: str
    iam_policy_name: str
    kms_key_arn: str | None
    archive_after_days: int
    noncurrent_version_days: int
    aws_account_id: str | None

    # --- what the pipeline's settings already say -------------------------------
    @property
    def bucket(self) -> str:
        return self.settings.bucket

    @property
    def prefix(self) -> str:
        return self.settings.prefix

    @property
    def region(self) -> str:
        return self.settings.region

    @property
    def database(self) -> str:
        return self.settings.database

    @property
    def storage_integration(self) -> str:
        return self.settings.storage_integration

    @property
    def allowed_location(self) -> str:
        return self.settings.stage_url

    def account(self, kind: str) -> ServiceAccount:
        return next(a for a in self.accounts if a.kind == kind)

    @property
    def roles(self) -> dict[str, str]:
        """SQL identifiers for the role placeholders: {loader_role}, {reader_role}, ..."""
        return {f"{a.kind}_role": a.role for a in self.accounts}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, settings: Settings | None = None) -> BootstrapConfig:
        env = environment() if environ is None else environ

        def get(name: str, default: str = "") -> str:
            return env.get(name, "").strip() or default

        settings = settings or Settings.from_env()
        accounts = []
        for kind in ROLE_KINDS:
            upper = kind.upper()
            role_var, user_var, key_var = (
                f"SHOPPING_{upper}_ROLE",
                f"SHOPPING_{upper}_USER",
                f"SHOPPING_{upper}_PUBLIC_KEY_PATH",
            )
            accounts.append(
                ServiceAccount(
                    kind=kind,
                    role=identifier(get(role_var, f"SHOPPING_{upper}"), role_var),
                    user=identifier(get(user_var, f"SHOPPING_{upper}_SVC"), user_var),
                    public_key_variable=key_var,
                    public_key_path=get(key_var) or None,
                    second_key_variable=f"SHOPPING_{upper}_PUBLIC_KEY_2_PATH",
                    second_key_path=get(f"SHOPPING_{upper}_PUBLIC_KEY_2_PATH") or None,
                )
            )
        names = [a.role for a in accounts] + [a.user for a in accounts]
        if len(set(names)) != len(names):
            raise SettingsError("SHOPPING_*_ROLE and SHOPPING_*_USER must all be different names")

        admin_role = identifier(get("SNOWFLAKE_ADMIN_ROLE", "ACCOUNTADMIN"), "SNOWFLAKE_ADMIN_ROLE")
        security_admin_role = identifier(
            get("SNOWFLAKE_SECURITY_ADMIN_ROLE", admin_role), "SNOWFLAKE_SECURITY_ADMIN_ROLE"
        )
        iam_role_name = get("SHOPPING_SNOWFLAKE_ROLE_NAME", "shopping-snowflake-reader")
        if not _IAM_NAME.match(iam_role_name):
            raise SettingsError(f"SHOPPING_SNOWFLAKE_ROLE_NAME={iam_role_name!r} is not a valid IAM role name")
        kms_key = get("SHOPPING_KMS_KEY_ID") or None
        if kms_key and not _KMS_KEY_ARN.match(kms_key):
            raise SettingsError(
                f"SHOPPING_KMS_KEY_ID={kms_key!r} must be a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID): "
                "the Snowflake role's policy grants kms:Decrypt on exactly that key"
            )
        account_id = get("SHOPPING_AWS_ACCOUNT_ID") or None
        if account_id and not _ACCOUNT_ID.match(account_id):
            raise SettingsError(f"SHOPPING_AWS_ACCOUNT_ID={account_id!r} must be 12 digits")
        return cls(
            settings=settings,
            warehouse=identifier(get("SNOWFLAKE_WAREHOUSE", "SHOPPING_WH"), "SNOWFLAKE_WAREHOUSE"),
            accounts=tuple(accounts),
            admin_role=admin_role,
            security_admin_role=security_admin_role,
            iam_role_name=iam_role_name,
            iam_policy_name="shopping-snowflake-access",
            kms_key_arn=kms_key,
            archive_after_days=_days(get("SHOPPING_ARCHIVE_AFTER_DAYS", "90"), "SHOPPING_ARCHIVE_AFTER_DAYS"),
            noncurrent_version_days=_days(
                get("SHOPPING_NONCURRENT_VERSION_DAYS", "30"), "SHOPPING_NONCURRENT_VERSION_DAYS"
            ),
            aws_account_id=account_id,
        )


def _days(raw: str, variable: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 36500:
        raise SettingsError(f"{variable}={raw!r} must be a whole number of days (1 or more)")
    return int(raw)
