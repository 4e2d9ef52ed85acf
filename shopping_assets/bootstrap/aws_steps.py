"""The AWS half of bootstrap: the plan's steps, and the only module that makes boto3 calls.

Every call is idempotent: `put_*` replaces a configuration with the same one,
creating a bucket you already own is fine, and an existing IAM role gets its trust
policy updated instead of being created.
"""

from __future__ import annotations

from typing import Any

from shopping_assets.bootstrap import policies
from shopping_assets.bootstrap.config import BootstrapConfig
from shopping_assets.bootstrap.steps import AwsStep, BootstrapError, FromContext, JsonText, resolve

ROLE_ARN_TEMPLATE = "arn:aws:iam::{aws_account_id}:role/"


def role_arn(config: BootstrapConfig) -> FromContext:
    return FromContext(ROLE_ARN_TEMPLATE + config.iam_role_name)


def bucket_steps(config: BootstrapConfig) -> list[AwsStep]:
    bucket = config.bucket
    create: dict[str, Any] = {"Bucket": bucket}
    if config.region != "us-east-1":  # us-east-1 refuses an explicit LocationConstraint
        create["CreateBucketConfiguration"] = {"LocationConstraint": config.region}
    return [
        AwsStep(
            "s3",
            "create_bucket",
            create,
            "the input bucket (one you already own is fine)",
            ok_errors=("BucketAlreadyOwnedByYou",),
        ),
        AwsStep(
            "s3",
            "put_public_access_block",
            {"Bucket": bucket, "PublicAccessBlockConfiguration": policies.public_access_block()},
            "block every form of public access",
        ),
        AwsStep(
            "s3",
            "put_bucket_encryption",
            {"Bucket": bucket, "ServerSideEncryptionConfiguration": policies.default_encryption(config.kms_key_arn)},
            "default encryption: " + ("SSE-KMS with the configured key" if config.kms_key_arn else "SSE-S3 (AES256)"),
        ),
        AwsStep(
            "s3",
            "put_bucket_versioning",
            {"Bucket": bucket, "VersioningConfiguration": {"Status": "Enabled"}},
            "keep replaced and deleted objects recoverable",
        ),
        AwsStep(
            "s3",
            "put_bucket_policy",
            {"Bucket": bucket, "Policy": JsonText(policies.tls_only_bucket_policy(bucket))},
            "deny any request without TLS (replaces an existing bucket policy)",
        ),
        AwsStep(
            "s3",
            "put_bucket_lifecycle_configuration",
            {
                "Bucket": bucket,
                "LifecycleConfiguration": policies.lifecycle(
                    config.prefix, config.archive_after_days, config.noncurrent_version_days
                ),
            },
            f"transactions older than {config.archive_after_days} days to {policies.ARCHIVE_STORAGE_CLASS}; "
            f"old versions expire after {config.noncurrent_version_days} days",
        ),
    ]


def account_step() -> AwsStep:
    return AwsStep(
        "sts",
        "get_caller_identity",
        {},
        "the AWS account id (for the IAM role's ARN)",
        outputs={"aws_account_id": "Account"},
    )


def iam_steps(config: BootstrapConfig) -> list[AwsStep]:
    """The role Snowflake assumes: trusted by the integration's IAM user only, reading only the stage's folders."""
    name = config.iam_role_name
    trust = JsonText(
        policies.snowflake_trust_policy(
            FromContext("{storage_aws_iam_user_arn}"), FromContext("{storage_aws_external_id}")
        )
    )
    update = AwsStep(
        "iam",
        "update_assume_role_policy",
        {"RoleName": name, "PolicyDocument": trust},
        "the role exists: replace its trust policy",
    )
    return [
        AwsStep(
            "iam",
            "create_role",
            {
                "RoleName": name,
                "AssumeRolePolicyDocument": trust,
                "Description": f"Snowflake storage integration {config.storage_integration} reads s3://{config.bucket}/{config.prefix}",
            },
            "the IAM role Snowflake assumes, trusting only the integration's IAM user and external ID",
            fallback=update,
            fallback_on=("EntityAlreadyExists",),
        ),
        AwsStep(
            "iam",
            "put_role_policy",
            {
                "RoleName": name,
                "PolicyName": config.iam_policy_name,
                "PolicyDocument": JsonText(
                    policies.snowflake_access_policy(config.bucket, config.prefix, config.kms_key_arn)
                ),
            },
            "read reference/ and transactions/, list the stage, locate the bucket; nothing else",
        ),
    ]


class AwsExecutor:
    """Makes the plan's AWS calls; clients are created on first use (never in a dry run)."""

    def __init__(self, region: str, endpoint_url: str | None = None, **client_kwargs: Any):
        self.region = region
        self.endpoint_url = endpoint_url
        self.client_kwargs = client_kwargs
        self._clients: dict[str, Any] = {}

    def client(self, service: str):
        if service not in self._clients:
            import boto3

            self._clients[service] = boto3.session.Session().client(
                service, region_name=self.region, endpoint_url=self.endpoint_url, **self.client_kwargs
            )
        return self._clients[service]

    def run(self, step: AwsStep, context: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Make the call; return what happened ("ok", "already ...") and the values it read back."""
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            try:
                response = getattr(self.client(step.service), step.operation)(**resolve(step.params, context))
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code in step.ok_errors:
                    return f"ok ({code})", {}
                if step.fallback is None or code not in step.fallback_on:
                    raise
                self.run(step.fallback, context)
                return f"ok ({code}: {step.fallback.operation})", {}
        except NoCredentialsError:
            raise BootstrapError(
                f"{step.title()}: no AWS credentials (boto3 looks at AWS_PROFILE, AWS_ACCESS_KEY_ID/"
                "AWS_SECRET_ACCESS_KEY, then an instance or task role)"
            ) from None
        except ClientError as error:
            err = error.response.get("Error", {})
            raise BootstrapError(f"{step.title()} failed: {err.get('Code', '?')}: {err.get('Message', '')}") from None
        except BotoCoreError as error:
            raise BootstrapError(f"{step.title()} failed: {error}") from None
        return "ok", {key: response[field] for key, field in step.outputs.items()}
