"""Production bootstrap: the plan, applied to the embedded S3/IAM server, its SQL, its grants, its dry run.

What is checked how (the emulators cannot run everything):
- AWS: the whole plan except the TLS-only bucket policy is applied to the embedded
  moto server (S3 and IAM answer on the same endpoint) and read back; applying twice
  leaves the same state. moto ignores policy Conditions, so the TLS-only policy
  would deny everything there: it is checked as a document instead.
- Snowflake: CREATE ROLE, GRANT, CREATE WAREHOUSE/USER/STORAGE INTEGRATION do not run
  on fakesnow. Every statement is parsed with sqlglot's Snowflake dialect (some come
  back as an opaque Command: those are matched against an exact expected shape), the
  grants are parsed into tuples by a small regex parser and checked role by role,
  and the statements the emulator does support (database, schemas) run on it.
- The apply path's Snowflake side runs against a recording stand-in connection, so
  the hand-shake (DESC INTEGRATION's values feeding the IAM trust policy) is tested
  end to end with real IAM.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import uuid
from dataclasses import replace
from pathlib import Path

import boto3
import pytest
import snowflake.connector
import sqlglot
from sqlglot import exp

from shopping_assets import statements as sql
from shopping_assets.bootstrap import command as cli
from shopping_assets.bootstrap import grants as grant_model
from shopping_assets.bootstrap import plan, policies
from shopping_assets.bootstrap import snowflake_steps as snowflake_plan
from shopping_assets.bootstrap.aws_steps import AwsExecutor
from shopping_assets.bootstrap.config import BootstrapConfig
from shopping_assets.bootstrap.snowflake_steps import SnowflakeExecutor
from shopping_assets.bootstrap.steps import AwsStep, BootstrapError, resolve
from shopping_assets.settings import Settings, SettingsError

PROJECT = Path(__file__).resolve().parents[1]
EMBEDDED = {"aws_access_key_id": "embedded", "aws_secret_access_key": "embedded"}
# What DESC INTEGRATION returns in a real account (shape of Snowflake's values).
IAM_USER_ARN = "arn:aws:iam::999999999999:user/ab1c-s-ukst1234"
EXTERNAL_ID = "AB12345_SFCRole=2_kYZbqsMRf0Gx1NgFX3Cs8o4W6Vw="
ROLE_KINDS = ("LOADER", "TRANSFORMER", "READER", "PIPELINE")


# --- helpers --------------------------------------------------------------------


def _unique() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def key_files(tmp_path_factory) -> dict[str, Path]:
    """An RSA key pair per service user: {"LOADER": public.pem, ..., "PRIVATE": one private key}."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    folder = tmp_path_factory.mktemp("keys")
    files = {}
    for kind in ROLE_KINDS:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        (folder / f"{kind}.pub").write_bytes(public)
        files[kind] = folder / f"{kind}.pub"
        private = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        (folder / f"{kind}.p8").write_bytes(private)
        files[f"{kind}_PRIVATE"] = folder / f"{kind}.p8"
    return files


def _key_env(key_files) -> dict[str, str]:
    return {f"SHOPPING_{kind}_PUBLIC_KEY_PATH": str(key_files[kind]) for kind in ROLE_KINDS}


def _config(base: Settings, env: dict[str, str] | None = None, **settings_changes) -> BootstrapConfig:
    return BootstrapConfig.from_env(environ=env or {}, settings=replace(base, **settings_changes))


@pytest.fixture
def base_settings(monkeypatch) -> Settings:
    """Production-like settings without the embedded services (nothing here needs them)."""
    for name in list(os.environ):
        if name.startswith(("SHOPPING_", "SNOWFLAKE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SHOPPING_DEPLOYMENT", "prod")
    return Settings.from_env()


def _body(pem_path: Path) -> str:
    return "".join(line for line in pem_path.read_text().splitlines() if not line.startswith("-----"))


class RecordingSnowflake:
    """Stands in for a Snowflake session: records statements and bound values, answers DESC INTEGRATION."""

    def __init__(self):
        self.executed: list[tuple[str, dict | None]] = []
        self.closed = False

    def cursor(self):
        return self

    def execute(self, statement, params=None):
        self.executed.append((statement, params))
        return self

    def fetchall(self):
        statement = self.executed[-1][0]
        assert statement.startswith("DESC INTEGRATION")
        return [
            ("ENABLED", "Boolean", "true", "false"),
            ("STORAGE_PROVIDER", "String", "S3", ""),
            ("STORAGE_AWS_IAM_USER_ARN", "String", IAM_USER_ARN, ""),
            ("STORAGE_AWS_ROLE_ARN", "String", "arn:aws:iam::123456789012:role/x", ""),
            ("STORAGE_AWS_EXTERNAL_ID", "String", EXTERNAL_ID, ""),
        ]

    def close(self):
        self.closed = True


# --- policy documents, structurally --------------------------------------------


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def assert_least_privilege(document: dict, bucket: str, prefix: str, kms_key_arn: str | None = None) -> None:
    """The Snowflake role's inline policy: Snowflake's documented read-only actions, on exactly the stage."""
    reads = {f"arn:aws:s3:::{bucket}/{prefix}reference/*", f"arn:aws:s3:::{bucket}/{prefix}transactions/*"}
    by_actions = {}
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
        actions = frozenset(_as_list(statement["Action"]))
        assert all("*" not in action for action in actions), actions  # no s3:*, no s3:Get*
        assert all(r != "*" and not r.endswith(":::*") for r in _as_list(statement["Resource"]))
        by_actions[actions] = statement
    expected = {
        frozenset({"s3:GetObject", "s3:GetObjectVersion"}),
        frozenset({"s3:ListBucket"}),
        frozenset({"s3:GetBucketLocation"}),
    } | ({frozenset({"kms:Decrypt"})} if kms_key_arn else set())
    assert set(by_actions) == expected
    read = by_actions[frozenset({"s3:GetObject", "s3:GetObjectVersion"})]
    assert set(read["Resource"]) == reads and "Condition" not in read
    listing = by_actions[frozenset({"s3:ListBucket"})]
    assert listing["Resource"] == f"arn:aws:s3:::{bucket}"
    # the stage's URL is the prefix's root: COPY and LIST look from there, with or without a slash
    assert listing.get("Condition") == ({"StringLike": {"s3:prefix": [prefix, f"{prefix}*"]}} if prefix else None)
    # GetBucketLocation carries no s3:prefix: under the listing's condition IAM would deny it
    location = by_actions[frozenset({"s3:GetBucketLocation"})]
    assert location["Resource"] == f"arn:aws:s3:::{bucket}" and "Condition" not in location
    if kms_key_arn:
        assert by_actions[frozenset({"kms:Decrypt"})]["Resource"] == kms_key_arn


def assert_trust(document: dict, iam_user_arn: str, external_id: str) -> None:
    (statement,) = document["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {"AWS": iam_user_arn}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": external_id}}


@pytest.mark.parametrize("prefix", ["", "team/shopping/"])
@pytest.mark.parametrize("kms", [None, "arn:aws:kms:eu-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"])
def test_the_snowflake_role_policy_is_least_privilege(prefix, kms):
    assert_least_privilege(policies.snowflake_access_policy("acme-inputs", prefix, kms), "acme-inputs", prefix, kms)


def test_the_bucket_policy_denies_every_request_without_tls(base_settings):
    config = _config(base_settings, bucket="acme-inputs")
    (step,) = [s for s in plan.build(config) if isinstance(s, AwsStep) and s.operation == "put_bucket_policy"]
    document = json.loads(resolve(step.params, {})["Policy"])  # the string actually sent
    assert document == policies.tls_only_bucket_policy("acme-inputs")
    (statement,) = document["Statement"]
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*" and statement["Action"] == "s3:*"
    assert set(statement["Resource"]) == {"arn:aws:s3:::acme-inputs", "arn:aws:s3:::acme-inputs/*"}
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_sse_kms_when_a_key_is_configured(base_settings):
    key = "arn:aws:kms:eu-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    config = _config(base_settings, {"SHOPPING_KMS_KEY_ID": key})
    steps = {s.operation: s for s in plan.aws_steps(plan.build(config))}
    rule = steps["put_bucket_encryption"].params["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule == {
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
        "BucketKeyEnabled": True,
    }
    with pytest.raises(SettingsError, match="SHOPPING_KMS_KEY_ID"):
        _config(base_settings, {"SHOPPING_KMS_KEY_ID": "alias/shopping"})


# --- (1) the AWS half against the embedded server, with the hand-shake ------------


def _read_back(s3, iam, bucket: str, role_name: str, policy_name: str) -> dict:
    role = iam.get_role(RoleName=role_name)["Role"]
    return {
        "public_access": s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"],
        "encryption": s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"],
        "versioning": s3.get_bucket_versioning(Bucket=bucket).get("Status"),
        "lifecycle": s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"],
        "role_arn": role["Arn"],
        "trust": role["AssumeRolePolicyDocument"],
        "inline_policies": iam.list_role_policies(RoleName=role_name)["PolicyNames"],
        "policy": iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"],
    }


def test_apply_creates_the_bucket_and_iam_role_from_the_handshake_and_is_idempotent(settings, key_files):
    unique = _unique()
    bucket, prefix, role_name = f"bootstrap-{unique}", f"team-{unique}/", f"snowflake-{unique}"
    env = {**_key_env(key_files), "SHOPPING_SNOWFLAKE_ROLE_NAME": role_name, "SHOPPING_ARCHIVE_AFTER_DAYS": "120"}
    config = _config(settings, env, bucket=bucket, prefix=prefix, deployment="prod")
    # Everything but the TLS-only bucket policy: moto would turn it into deny-all (checked above).
    steps = [s for s in plan.build(config) if not (isinstance(s, AwsStep) and s.operation == "put_bucket_policy")]
    aws = AwsExecutor(settings.region, endpoint_url=settings.s3_endpoint, **EMBEDDED)
    s3, iam = aws.client("s3"), aws.client("iam")

    states = []
    for _ in range(2):  # the second run finds everything in place: no error, same state
        recorder = RecordingSnowflake()
        executor = SnowflakeExecutor(lambda recorder=recorder: recorder)
        context = plan.apply(steps, aws_executor=aws, snowflake_executor=executor)
        states.append(_read_back(s3, iam, bucket, role_name, config.iam_policy_name))
    state = states[0]
    assert states[1] == state

    assert state["public_access"] == dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
    )
    assert state["encryption"][0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert state["versioning"] == "Enabled"
    archive = next(rule for rule in state["lifecycle"] if rule["ID"] == "archive-transactions")
    assert archive["Status"] == "Enabled" and archive["Filter"] == {"Prefix": f"{prefix}transactions/"}
    assert archive["Transitions"] == [{"Days": 120, "StorageClass": "GLACIER_IR"}]

    # The hand-shake: DESC INTEGRATION's values are what the role trusts, and nothing else.
    assert context["storage_aws_iam_user_arn"] == IAM_USER_ARN
    assert_trust(state["trust"], IAM_USER_ARN, EXTERNAL_ID)
    assert state["inline_policies"] == [config.iam_policy_name]
    assert_least_privilege(state["policy"], bucket, prefix)

    # Snowflake got the role's real ARN, the bucket as its only allowed location, and the public keys.
    statements = recorder.executed
    integration = [(s, p) for s, p in statements if " INTEGRATION " in s and p]
    assert integration and all(
        p == {"role_arn": state["role_arn"], "allowed_location": f"s3://{bucket}/{prefix}"} for _, p in integration
    )
    order = [s.split()[0] + " " + s.split()[1] for s, _ in statements]
    assert order.index("DESC INTEGRATION") > order.index("CREATE STORAGE")
    keys = {p["public_key"] for s, p in statements if p and "public_key" in p}
    stage = [p for s, p in statements if s.startswith("CREATE OR ALTER STAGE")]
    assert stage == [{"stage_url": f"s3://{bucket}/{prefix}"}]
    assert keys == {_body(key_files[kind]) for kind in ROLE_KINDS}

    # An integration recreated by hand gets a new external ID: rerunning moves the trust to it.
    class Recreated(RecordingSnowflake):
        def fetchall(self):
            return [
                (n, t, "NEW_SFCRole=9_x=" if n == "STORAGE_AWS_EXTERNAL_ID" else v, d)
                for n, t, v, d in super().fetchall()
            ]

    plan.apply(steps, aws_executor=aws, snowflake_executor=SnowflakeExecutor(Recreated))
    assert_trust(iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"], IAM_USER_ARN, "NEW_SFCRole=9_x=")


def test_a_missing_or_private_key_stops_before_any_call(base_settings, key_files):
    class Refuse:
        def run(self, step, context):
            raise AssertionError(f"called {step.title()}")

    missing = _key_env(key_files)
    del missing["SHOPPING_READER_PUBLIC_KEY_PATH"]
    with pytest.raises(BootstrapError, match="SHOPPING_READER_PUBLIC_KEY_PATH is not set"):
        plan.apply(plan.build(_config(base_settings, missing)), aws_executor=Refuse(), snowflake_executor=Refuse())

    wrong = {**_key_env(key_files), "SHOPPING_LOADER_PUBLIC_KEY_PATH": str(key_files["LOADER_PRIVATE"])}
    with pytest.raises(BootstrapError, match="PRIVATE key") as error:
        plan.apply(plan.build(_config(base_settings, wrong)), aws_executor=Refuse(), snowflake_executor=Refuse())
    assert _body(key_files["LOADER_PRIVATE"])[:40] not in str(error.value)


# --- (2) every statement parses as Snowflake SQL ------------------------------------

SAMPLE = {
    "database": "SHOPPING",
    "warehouse": "SHOPPING_WH",
    "storage_integration": "SHOPPING_S3",
    "loader_role": "SHOPPING_LOADER",
    "transformer_role": "SHOPPING_TRANSFORMER",
    "reader_role": "SHOPPING_READER",
    "pipeline_role": "SHOPPING_PIPELINE",
    "admin_role": "ACCOUNTADMIN",
    "user": "SHOPPING_LOADER_SVC",
    "role": "SHOPPING_LOADER",
}
BOOTSTRAP_FILES = sorted(p.stem for p in (sql.SQL_DIR / "bootstrap").glob("*.sql"))
NAME = r"[A-Z_][A-Z0-9_]*"
# sqlglot 30 parses these as an opaque exp.Command; for them we check the exact shape instead.
COMMAND_SHAPES = [
    rf"CREATE ROLE IF NOT EXISTS {NAME} COMMENT = '[^']*'",
    rf"GRANT [A-Z, ]+ ON (ALL|FUTURE) (TABLES|VIEWS|STAGES|FILE FORMATS) IN SCHEMA {NAME}\.{NAME} TO ROLE {NAME}",
    rf"GRANT ROLE {NAME} TO (ROLE|USER) {NAME}",
    rf"ALTER STORAGE INTEGRATION {NAME} SET ENABLED = TRUE STORAGE_AWS_ROLE_ARN = 'value' "
    rf"STORAGE_ALLOWED_LOCATIONS = \('value'\)",
    rf"CREATE USER IF NOT EXISTS {NAME} TYPE = SERVICE RSA_PUBLIC_KEY = 'value' DEFAULT_ROLE = {NAME} "
    rf"DEFAULT_WAREHOUSE = {NAME} COMMENT = '[^']*'",
    rf"ALTER USER {NAME} SET RSA_PUBLIC_KEY = 'value' DEFAULT_ROLE = {NAME} DEFAULT_WAREHOUSE = {NAME}",
    rf"ALTER USER {NAME} SET RSA_PUBLIC_KEY_2 = 'value'",
    rf"ALTER USER {NAME} UNSET RSA_PUBLIC_KEY_2",
]
# ... and these it does parse, so they must not come back as a Command.
PARSED = {
    "CREATE WAREHOUSE": exp.Create,
    "CREATE DATABASE": exp.Create,
    "CREATE SCHEMA": exp.Create,
    "CREATE STORAGE": exp.Create,
    "DESC INTEGRATION": exp.Describe,
    "USE ROLE": exp.Use,
}
SIMPLE_GRANT = re.compile(
    rf"GRANT [A-Z, ]+ ON (DATABASE|SCHEMA|WAREHOUSE|INTEGRATION) {NAME}(\.{NAME})? TO ROLE {NAME}"
)


def test_the_bootstrap_statements_are_found():
    assert len(BOOTSTRAP_FILES) == 12 and BOOTSTRAP_FILES[0] == "00_use_role"


@pytest.mark.parametrize("name", BOOTSTRAP_FILES)
def test_every_bootstrap_statement_parses_as_snowflake(name):
    statements = sql.render(f"bootstrap/{name}", SAMPLE)
    assert statements
    for statement in statements:
        text = re.sub(r"%\((\w+)\)s", "'value'", statement)
        flat = " ".join(text.split())
        assert sqlglot.tokenize(text, read="snowflake")
        parsed = sqlglot.parse_one(text, read="snowflake")
        head = " ".join(flat.split()[:2])
        if head in PARSED:
            assert isinstance(parsed, PARSED[head]), flat
        elif SIMPLE_GRANT.fullmatch(flat):
            assert isinstance(parsed, exp.Grant), flat
        else:
            assert isinstance(parsed, exp.Command), f"{flat}: parsed now, move it to PARSED"
            assert any(re.fullmatch(shape, flat) for shape in COMMAND_SHAPES), f"unexpected shape: {flat}"


def test_the_warehouse_and_integration_say_what_they_should():
    (warehouse,) = sql.render("bootstrap/01_warehouse", SAMPLE)
    options = sqlglot.parse_one(warehouse, read="snowflake").sql("snowflake")
    for option in ("WAREHOUSE_SIZE=XSMALL", "AUTO_SUSPEND=60", "AUTO_RESUME=TRUE", "INITIALLY_SUSPENDED=TRUE"):
        assert option in options
    create, _alter = sql.render("bootstrap/03_storage_integration", SAMPLE)
    integration = sqlglot.parse_one(
        create.replace("%(role_arn)s", "'R'").replace("%(allowed_location)s", "'L'"), read="snowflake"
    )
    text = integration.sql("snowflake")
    for option in (
        "STORAGE_PROVIDER='S3'",
        "STORAGE_AWS_ROLE_ARN='R'",
        "STORAGE_ALLOWED_LOCATIONS=('L')",
        "ENABLED=TRUE",
    ):
        assert option in text


@pytest.mark.parametrize("bad", ["X; DROP ROLE ACCOUNTADMIN", "a-b", "1ABC"])
def test_configured_names_are_validated(base_settings, bad):
    with pytest.raises(SettingsError, match="SHOPPING_READER_ROLE"):
        _config(base_settings, {"SHOPPING_READER_ROLE": bad})
    with pytest.raises(SettingsError, match="SNOWFLAKE_WAREHOUSE"):
        _config(base_settings, {"SNOWFLAKE_WAREHOUSE": bad})
    with pytest.raises(SettingsError, match="SHOPPING_SNOWFLAKE_ROLE_NAME"):
        _config(base_settings, {"SHOPPING_SNOWFLAKE_ROLE_NAME": bad + " /"})


# --- (3) grants, structurally ---------------------------------------------------------


def parse_grants(statements: list[str]) -> tuple[set[tuple[str, str, str, str]], set[tuple[str, str, str]]]:
    """(privilege, object type, object name, role) for object grants; (role, ROLE|USER, grantee) for role grants."""
    objects, roles = grant_model.parse(statements)
    return {(g.privilege, g.on, g.name, g.role) for g in objects}, {(g.granted, g.to, g.grantee) for g in roles}


def _grants(config: BootstrapConfig):
    return parse_grants([s.sql for s in plan.sql_steps(plan.build(config))])


def test_the_reader_may_only_read_mart(base_settings):
    objects, roles = _grants(_config(base_settings))
    reader = {g for g in objects if g[3] == "SHOPPING_READER"}
    assert reader == {
        ("USAGE", "WAREHOUSE", "SHOPPING_WH", "SHOPPING_READER"),
        ("USAGE", "DATABASE", "SHOPPING", "SHOPPING_READER"),
        ("USAGE", "SCHEMA", "SHOPPING.MART", "SHOPPING_READER"),
        ("SELECT", "ALL TABLES IN SCHEMA", "SHOPPING.MART", "SHOPPING_READER"),
        ("SELECT", "ALL VIEWS IN SCHEMA", "SHOPPING.MART", "SHOPPING_READER"),
        ("SELECT", "FUTURE TABLES IN SCHEMA", "SHOPPING.MART", "SHOPPING_READER"),
        ("SELECT", "FUTURE VIEWS IN SCHEMA", "SHOPPING.MART", "SHOPPING_READER"),
    }
    assert not any("RAW" in g[2] or "STAGING" in g[2] for g in reader)
    # no other role's privileges reach the reader, and the reader is granted only to its user and SYSADMIN
    assert not any(grantee == "SHOPPING_READER" for _, kind, grantee in roles if kind == "ROLE")
    assert {(kind, grantee) for granted, kind, grantee in roles if granted == "SHOPPING_READER"} == {
        ("ROLE", "SYSADMIN"),
        ("USER", "SHOPPING_READER_SVC"),
    }


def test_loader_and_transformer_stay_in_their_layers(base_settings):
    objects, roles = _grants(_config(base_settings))
    loader = {g for g in objects if g[3] == "SHOPPING_LOADER"}
    transformer = {g for g in objects if g[3] == "SHOPPING_TRANSFORMER"}
    assert not any("STAGING" in g[2] or "MART" in g[2] for g in loader)
    assert ("USAGE", "INTEGRATION", "SHOPPING_S3", "SHOPPING_LOADER") in loader
    assert {"SELECT", "INSERT", "DELETE"} <= {g[0] for g in loader if g[1] == "FUTURE TABLES IN SCHEMA"}
    # bootstrap creates every long-lived object: the only CREATEs at run time are in MART, its views
    # and what the pandas IO manager's write_pandas asks for (its CREATE TABLE IF NOT EXISTS, its
    # temporary stage and file format)
    assert {g[0] for g in loader if g[1] == "SCHEMA"} == {"USAGE"}
    assert {g[0] for g in transformer if g[1] == "SCHEMA" and g[2] == "SHOPPING.STAGING"} == {"USAGE"}
    assert {g[0] for g in transformer if g[1] == "SCHEMA" and g[2] == "SHOPPING.MART"} == {
        "USAGE",
        "CREATE VIEW",
        "CREATE TABLE",
        "CREATE STAGE",
        "CREATE FILE FORMAT",
    }
    assert {g[0] for g in transformer if g[1] == "FUTURE TABLES IN SCHEMA" and g[2] == "SHOPPING.MART"} == {
        "SELECT",
        "INSERT",
        "DELETE",
    }
    assert not any(g[0].startswith("CREATE") for g in objects if g[2] != "SHOPPING.MART")
    # the transformer only reads RAW, and writes STAGING's rows
    assert {g[0] for g in transformer if g[2] == "SHOPPING.RAW"} == {"USAGE", "SELECT"}
    assert not any(g[1] == "INTEGRATION" for g in transformer)
    # nobody gets ownership or blanket privileges; the pipeline role is exactly loader + transformer
    assert not any(g[0] in {"OWNERSHIP", "ALL", "ALL PRIVILEGES"} for g in objects)
    assert not any(g[3] == "SHOPPING_PIPELINE" for g in objects)
    assert {granted for granted, kind, grantee in roles if grantee == "SHOPPING_PIPELINE"} == {
        "SHOPPING_LOADER",
        "SHOPPING_TRANSFORMER",
    }
    # every role has warehouse usage and a service user with that default role
    for role in ("SHOPPING_LOADER", "SHOPPING_TRANSFORMER", "SHOPPING_READER"):
        assert ("USAGE", "WAREHOUSE", "SHOPPING_WH", role) in objects
    assert {(granted, grantee) for granted, kind, grantee in roles if kind == "USER"} == {
        (f"SHOPPING_{kind}", f"SHOPPING_{kind}_SVC") for kind in ROLE_KINDS
    }


def test_names_come_from_configuration(base_settings):
    env = {"SHOPPING_READER_ROLE": "analysts", "SHOPPING_READER_USER": "ANALYST_BOT", "SNOWFLAKE_WAREHOUSE": "TINY"}
    config = _config(base_settings, env, database="ANALYTICS")
    objects, roles = _grants(config)
    assert ("SELECT", "FUTURE VIEWS IN SCHEMA", "ANALYTICS.MART", "ANALYSTS") in objects
    assert ("USAGE", "WAREHOUSE", "TINY", "ANALYSTS") in objects
    assert ("ANALYSTS", "USER", "ANALYST_BOT") in roles
    assert not any("SHOPPING_READER" in s.sql for s in plan.sql_steps(plan.build(config)))


# --- (4) the dry run: everything shown, nothing called, no secrets -------------------

SECRETS = {
    "SNOWFLAKE_PASSWORD": "pipeline-pw-Zq81x",
    "SNOWFLAKE_PRIVATE_KEY_PASSWORD": "pipeline-key-pass-Kd02",
    "SNOWFLAKE_ADMIN_PASSWORD": "admin-pw-Rr55t",
    "SNOWFLAKE_ADMIN_PRIVATE_KEY_PASSWORD": "admin-key-pass-Lm31",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYfakeSECRET",
    "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEBYaDfakeSESSIONtoken",
}


@pytest.fixture
def prod_env(monkeypatch, key_files) -> dict[str, str]:
    for name in list(os.environ):
        if name.startswith(("SHOPPING_", "SNOWFLAKE_", "AWS_")):
            monkeypatch.delenv(name)
    env = {
        "SHOPPING_DEPLOYMENT": "prod",
        "SHOPPING_BUCKET": "acme-shopping-inputs",
        "SHOPPING_S3_PREFIX": "team/shopping",
        # unreachable: a dry run must not try them
        "AWS_ENDPOINT_URL": "http://10.255.255.1:9",
        "AWS_ACCESS_KEY_ID": "AKIAFAKEFAKEFAKE0000",
        "SNOWFLAKE_ACCOUNT": "unreachable-xy00000.invalid",
        "SNOWFLAKE_ADMIN_USER": "ADMIN",
        "SNOWFLAKE_ADMIN_PRIVATE_KEY_PATH": str(key_files["PIPELINE_PRIVATE"]),
        **_key_env(key_files),
        **SECRETS,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def _assert_no_secrets(text: str, key_files) -> None:
    for name, value in SECRETS.items():
        assert value not in text, name
    for kind in ROLE_KINDS:
        private = _body(key_files[f"{kind}_PRIVATE"])
        assert private[:40] not in text and private[-40:] not in text


def test_dry_run_prints_every_step_calls_nothing_and_shows_no_secret(prod_env, key_files, monkeypatch, capsys):
    def no_network(*args, **kwargs):
        raise AssertionError("a dry run opened a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(boto3, "client", no_network)
    monkeypatch.setattr(boto3.session.Session, "client", no_network)
    monkeypatch.setattr(snowflake.connector, "connect", no_network)

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert cli.run_from_args(parser.parse_args(["--dry-run"])) == 0
    out = capsys.readouterr().out

    steps = plan.build(BootstrapConfig.from_env())
    for step in steps:
        if isinstance(step, AwsStep):
            assert f"aws {step.service}.{step.operation}" in out
            if step.fallback:
                assert f"aws {step.fallback.service}.{step.fallback.operation}" in out
        else:
            assert step.sql + ";" in out
    operations = {s.operation for s in plan.aws_steps(steps)} | {"update_assume_role_policy"}
    assert operations == {
        "create_bucket",
        "put_public_access_block",
        "put_bucket_encryption",
        "put_bucket_versioning",
        "put_bucket_policy",
        "put_bucket_lifecycle_configuration",
        "get_caller_identity",
        "create_role",
        "update_assume_role_policy",
        "put_role_policy",
    }
    # the hand-shake's values are not known yet, and say where they will come from
    assert '"AWS": "<STORAGE_AWS_IAM_USER_ARN from DESC INTEGRATION>"' in out
    assert '"sts:ExternalId": "<STORAGE_AWS_EXTERNAL_ID from DESC INTEGRATION>"' in out
    assert "<public key from $SHOPPING_READER_PUBLIC_KEY_PATH>" in out
    assert "arn:aws:s3:::acme-shopping-inputs/team/shopping/transactions/*" in out
    _assert_no_secrets(out, key_files)
    for kind in ROLE_KINDS:  # the public keys are not read in a dry run either
        assert _body(key_files[kind])[:40] not in out
    # and not because the printer redacted them: the plan itself holds none
    _assert_no_secrets(plan.format_plan(steps, {}), key_files)
    assert "****" not in out


# The command in a process whose sockets refuse to connect: a dry run must not try.
NO_NETWORK = """
import socket, sys
def refuse(*args, **kwargs):
    raise OSError("a dry run opened a connection")
socket.socket.connect = socket.socket.connect_ex = socket.create_connection = refuse
from shopping_assets.bootstrap.command import main
sys.exit(main(sys.argv[1:]))
"""


def test_dry_run_from_the_command_line_needs_no_network(prod_env, key_files):
    result = subprocess.run(
        [sys.executable, "-c", NO_NETWORK, "--dry-run"],
        cwd=PROJECT,
        env={**os.environ, **prod_env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "aws iam.create_role" in result.stdout and "DESC INTEGRATION SHOPPING_S3;" in result.stdout
    _assert_no_secrets(result.stdout + result.stderr, key_files)


def test_applying_needs_prod_and_says_so(prod_env, monkeypatch, capsys):
    monkeypatch.setenv("SHOPPING_DEPLOYMENT", "local")
    assert cli.main([]) == 2
    assert "SHOPPING_DEPLOYMENT=prod" in capsys.readouterr().err


def test_secret_looking_values_are_redacted_from_printed_text():
    from shopping_assets.bootstrap.steps import redact

    env = {"SNOWFLAKE_ADMIN_PASSWORD": "hunter2-long", "SNOWFLAKE_ADMIN_PRIVATE_KEY_PATH": "/keys/admin.p8"}
    assert redact("pw hunter2-long at /keys/admin.p8", env) == "pw **** at /keys/admin.p8"


# --- (5) what the emulator can run, it runs -------------------------------------------


def test_database_and_schemas_run_on_the_emulator(settings):
    database = f"BOOT_{_unique()}".upper()
    config = _config(settings, {}, database=database)
    steps = [s for s in plan.sql_steps(plan.build(config)) if s.source == "bootstrap/02_database"]
    assert [s.sql.split()[1] for s in steps] == ["DATABASE", "SCHEMA", "SCHEMA", "SCHEMA"]

    def connect():
        return snowflake.connector.connect(
            account="embedded",
            user="u",
            password="p",
            host="127.0.0.1",
            port=settings.snowflake_port,
            protocol="http",
            session_parameters={"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
        )

    for _ in range(2):  # IF NOT EXISTS: a second run is a no-op
        executor = SnowflakeExecutor(connect)
        try:
            plan.apply(steps, aws_executor=None, snowflake_executor=executor)
            rows = (
                executor.connection.cursor()
                .execute(f"SELECT SCHEMA_NAME FROM {database}.INFORMATION_SCHEMA.SCHEMATA")
                .fetchall()
            )
        finally:
            executor.close()
        assert {"RAW", "STAGING", "MART"} <= {r[0].upper() for r in rows}


# --- (6) what production needs before its first run --------------------------------------


def test_a_key_is_rotated_through_the_second_key_slot(base_settings, key_files):
    env = {**_key_env(key_files), "SHOPPING_PIPELINE_PUBLIC_KEY_2_PATH": str(key_files["READER"])}
    steps = plan.sql_steps(plan.build(_config(base_settings, env)))
    second = [s for s in steps if "RSA_PUBLIC_KEY_2" in s.sql]
    by_user = {s.sql.split()[2]: s for s in second}
    # the user being rotated has both keys; every other user's second slot is cleared
    assert (
        by_user["SHOPPING_PIPELINE_SVC"].sql == "ALTER USER SHOPPING_PIPELINE_SVC SET RSA_PUBLIC_KEY_2 = %(public_key)s"
    )
    assert resolve(by_user["SHOPPING_PIPELINE_SVC"].params, {})["public_key"] == _body(key_files["READER"])
    for kind in ("LOADER", "TRANSFORMER", "READER"):
        assert by_user[f"SHOPPING_{kind}_SVC"].sql == f"ALTER USER SHOPPING_{kind}_SVC UNSET RSA_PUBLIC_KEY_2"
    first = next(s for s in steps if s.sql.startswith("ALTER USER SHOPPING_PIPELINE_SVC SET\n    RSA_PUBLIC_KEY ="))
    assert resolve(first.params, {})["public_key"] == _body(key_files["PIPELINE"])


def test_the_administrator_logs_in_with_a_key_pair_or_single_sign_on(base_settings, key_files):
    from shopping_assets.bootstrap.snowflake_steps import connect_from_env

    config = _config(base_settings)
    base = {"SNOWFLAKE_ACCOUNT": "acme-x", "SNOWFLAKE_ADMIN_USER": "ALICE"}
    with pytest.raises(BootstrapError, match="refuses password-only logins") as error:
        connect_from_env(config, {**base, "SNOWFLAKE_ADMIN_PASSWORD": "hunter2-long"})
    assert "hunter2" not in str(error.value)
    attempts = []
    monkey = pytest.MonkeyPatch()
    monkey.setattr(snowflake.connector, "connect", lambda **args: attempts.append(args))
    try:
        connect_from_env(config, {**base, "SNOWFLAKE_ADMIN_AUTHENTICATOR": "externalbrowser"})
        connect_from_env(config, {**base, "SNOWFLAKE_ADMIN_PRIVATE_KEY_PATH": str(key_files["PIPELINE_PRIVATE"])})
    finally:
        monkey.undo()
    assert attempts[0]["authenticator"] == "externalbrowser" and "password" not in attempts[0]
    assert attempts[1]["private_key_file"] == str(key_files["PIPELINE_PRIVATE"]) and "password" not in attempts[1]


def test_bootstrap_creates_the_pipelines_objects_then_grants_on_them(base_settings):
    sources = [s.source for s in plan.sql_steps(plan.build(_config(base_settings)))]
    setup = [i for i, source in enumerate(sources) if source.startswith("setup/")]
    assert [sources[i] for i in setup] == [
        name for name, _ in snowflake_plan.PIPELINE_OBJECTS for _ in sql.statements(name)
    ]
    assert sources.index("bootstrap/03_storage_integration") < setup[0]  # the stage reads through it
    assert setup[-1] < sources.index("bootstrap/06_grants_loader")  # ALL grants cover what exists


def test_the_embedded_bootstrap_runs_the_same_setup_with_the_emulators_stand_ins(base_settings):
    production = snowflake_plan.pipeline_object_steps(_config(base_settings))
    embedded = snowflake_plan.pipeline_object_steps(_config(base_settings), emulator=True)
    assert [s.source for s in embedded] == [s.source.replace("setup/03_stage", "emulator/03_stage") for s in production]
    assert [s.sql for s in embedded if s.source != "emulator/03_stage"] == [
        s.sql for s in production if s.source != "setup/03_stage"
    ]
