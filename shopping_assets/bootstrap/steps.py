"""The two kinds of plan step, and values that are only known when the plan is applied.

A plan is built without touching AWS or Snowflake. Where a step needs something an
earlier step produces (the AWS account id, the storage integration's IAM user and
external ID), its parameters hold a `FromContext` placeholder; applying fills it
from the values earlier steps read back, and a dry run prints a description instead.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from string import Formatter
from typing import Any

from shopping_assets.errors import UserFacingError

# What each context value is, for the dry run's placeholders.
LABELS = {
    "aws_account_id": "AWS account id from sts.get_caller_identity",
    "storage_aws_iam_user_arn": "STORAGE_AWS_IAM_USER_ARN from DESC INTEGRATION",
    "storage_aws_external_id": "STORAGE_AWS_EXTERNAL_ID from DESC INTEGRATION",
}


class BootstrapError(UserFacingError, RuntimeError):
    """A step failed or cannot start; the message names the step, variable or file."""


@dataclass(frozen=True)
class FromContext:
    """A string made from values read back by earlier steps, e.g. "{aws_account_id}"."""

    template: str

    def keys(self) -> list[str]:
        return [name for _, name, _, _ in Formatter().parse(self.template) if name]

    def resolve(self, context: dict[str, Any]) -> str:
        missing = [key for key in self.keys() if key not in context]
        if missing:
            raise BootstrapError(f"no value for {', '.join(missing)} yet: an earlier step should have read it")
        return self.template.format(**context)

    def describe(self, context: dict[str, Any]) -> str:
        return self.template.format(**{k: context.get(k) or f"<{LABELS.get(k, k)}>" for k in self.keys()})


@dataclass(frozen=True)
class PublicKey:
    """An RSA public key (PEM) read from the file a variable names, sent without its armour."""

    variable: str
    path: str | None

    def check(self) -> None:
        self.resolve({})

    def resolve(self, context: dict[str, Any]) -> str:
        if not self.path:
            raise BootstrapError(f"{self.variable} is not set: the path of the service user's RSA public key (PEM)")
        file = Path(self.path).expanduser()
        try:
            text = file.read_text()
        except (OSError, UnicodeDecodeError) as error:
            raise BootstrapError(
                f"{self.variable}={self.path}: cannot read the public key ({error.__class__.__name__})"
            ) from None
        # Never echo the file: a private key given by mistake must not reach the terminal.
        if "PRIVATE KEY" in text:
            raise BootstrapError(f"{self.variable}={self.path} holds a PRIVATE key; give the public key (.pub) instead")
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        try:
            key = load_pem_public_key(text.encode())
        except ValueError:
            raise BootstrapError(f"{self.variable}={self.path} is not a PEM public key") from None
        if not isinstance(key, rsa.RSAPublicKey):
            raise BootstrapError(f"{self.variable}={self.path} is not an RSA key (Snowflake key-pair auth needs RSA)")
        return "".join(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("-----"))

    def describe(self, context: dict[str, Any]) -> str:
        return f"<public key from ${self.variable}{'' if self.path else ' (not set)'}>"


@dataclass(frozen=True)
class JsonText:
    """A document sent as a JSON string (AWS policies); shown as JSON in the plan."""

    document: Any

    def resolve(self, context: dict[str, Any]) -> str:
        return json.dumps(resolve(self.document, context), separators=(",", ":"))

    def describe(self, context: dict[str, Any]) -> Any:
        return describe(self.document, context)


def resolve(value: Any, context: dict[str, Any]) -> Any:
    if hasattr(value, "resolve"):
        return value.resolve(context)
    if isinstance(value, dict):
        return {k: resolve(v, context) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [resolve(v, context) for v in value]
    return value


def describe(value: Any, context: dict[str, Any]) -> Any:
    if hasattr(value, "describe"):
        return value.describe(context)
    if isinstance(value, dict):
        return {k: describe(v, context) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [describe(v, context) for v in value]
    return value


def walk(value: Any):
    """Every value nested in params (for checks made before any call)."""
    yield value
    if isinstance(value, JsonText):
        yield from walk(value.document)
    elif isinstance(value, dict):
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from walk(v)


@dataclass
class AwsStep:
    """One boto3 call: `<service>` client, method `operation`, keyword `params`."""

    service: str
    operation: str
    params: dict[str, Any]
    purpose: str
    # error codes that mean "already as wanted"
    ok_errors: tuple[str, ...] = ()
    # on one of these error codes, make this call instead (e.g. update an existing role)
    fallback: AwsStep | None = None
    fallback_on: tuple[str, ...] = ()
    # context key -> key of the response that holds it
    outputs: dict[str, str] = field(default_factory=dict)

    def title(self) -> str:
        return f"aws {self.service}.{self.operation}"


@dataclass
class SqlStep:
    """One Snowflake statement from sql/bootstrap/, identifiers filled, values bound at execution."""

    sql: str
    params: dict[str, Any]
    purpose: str
    source: str
    # context key -> property name in the DESC result
    outputs: dict[str, str] = field(default_factory=dict)

    def title(self) -> str:
        return f"snowflake sql/{self.source}.sql"


Step = AwsStep | SqlStep

_SECRET_NAME = re.compile(r"PASSWORD|PASSPHRASE|SECRET|TOKEN|PRIVATE_KEY(?!_PATH)|CREDENTIAL|_PWD$", re.IGNORECASE)


def redact(text: str, environ: dict[str, str]) -> str:
    """Defence in depth for printed text: any secret-looking variable's value becomes ****."""
    for name, value in environ.items():
        if _SECRET_NAME.search(name) and len(value.strip()) >= 4:
            text = text.replace(value.strip(), "****")
    return text
