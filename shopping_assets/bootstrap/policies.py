"""AWS policy documents and bucket configurations, as pure functions of their inputs.

Nothing here calls AWS; tests check the documents structurally. Every resource is
an exact ARN or a prefix under the bucket: no `*` resource and no `s3:*` grant.
"""

from __future__ import annotations

from typing import Any

VERSION = "2012-10-17"
ARCHIVE_STORAGE_CLASS = "GLACIER_IR"  # Glacier Instant Retrieval: archive prices, millisecond reads

# What Snowflake reads through the stage: the stage's URL is the prefix's root, so COPY
# lists from there; it reads only these folders. Snowflake writes nothing to the bucket.
READ_FOLDERS = ("reference/", "transactions/")


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def iam_role_arn(account_id: str, role_name: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{role_name}"


def tls_only_bucket_policy(bucket: str) -> dict[str, Any]:
    """Deny every request to the bucket or its objects that does not use TLS."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn(bucket), f"{bucket_arn(bucket)}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def snowflake_trust_policy(iam_user_arn: str, external_id: str) -> dict[str, Any]:
    """Only the storage integration's IAM user, presenting its external ID, may assume the role."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "SnowflakeStorageIntegration",
                "Effect": "Allow",
                "Principal": {"AWS": iam_user_arn},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ],
    }


def snowflake_access_policy(bucket: str, prefix: str, kms_key_arn: str | None = None) -> dict[str, Any]:
    """The role's inline policy, after Snowflake's S3 integration guide (read-only).

    The guide's four actions: GetObject and GetObjectVersion on the folders the
    pipeline loads; ListBucket under the stage's URL (the prefix's root, where COPY
    and LIST look); GetBucketLocation on the bucket. The guide puts GetBucketLocation
    in the ListBucket statement, under its s3:prefix condition; that request carries
    no s3:prefix, so IAM would deny it there: it has a statement of its own.
    """
    objects = f"{bucket_arn(bucket)}/{prefix}"
    listing: dict[str, Any] = {
        "Sid": "ListStage",
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": bucket_arn(bucket),
    }
    if prefix:  # a stage at the bucket's root lists the whole bucket
        listing["Condition"] = {"StringLike": {"s3:prefix": [prefix, f"{prefix}*"]}}
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadInputs",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": [f"{objects}{folder}*" for folder in READ_FOLDERS],
        },
        listing,
        {"Sid": "LocateBucket", "Effect": "Allow", "Action": "s3:GetBucketLocation", "Resource": bucket_arn(bucket)},
    ]
    if kms_key_arn:
        # SSE-KMS objects cannot be read without the key.
        statements.append({"Sid": "UseBucketKey", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": kms_key_arn})
    return {"Version": VERSION, "Statement": statements}


def public_access_block() -> dict[str, bool]:
    return {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }


def default_encryption(kms_key_arn: str | None = None) -> dict[str, Any]:
    """SSE-S3 (AES256), or SSE-KMS with an S3 bucket key when a KMS key is configured."""
    if kms_key_arn:
        rule = {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key_arn},
            "BucketKeyEnabled": True,
        }
    else:
        rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    return {"Rules": [rule]}


def lifecycle(prefix: str, archive_after_days: int, noncurrent_version_days: int) -> dict[str, Any]:
    """Old transaction files move to an archive class; replaced versions and stuck uploads go."""
    return {
        "Rules": [
            {
                "ID": "archive-transactions",
                "Filter": {"Prefix": f"{prefix}transactions/"},
                "Status": "Enabled",
                "Transitions": [{"Days": archive_after_days, "StorageClass": ARCHIVE_STORAGE_CLASS}],
            },
            {
                # Versioning keeps what the pipeline replaces or deletes; keep it for a while, not forever.
                "ID": "expire-old-versions",
                "Filter": {"Prefix": prefix},
                "Status": "Enabled",
                "NoncurrentVersionExpiration": {"NoncurrentDays": noncurrent_version_days},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
            },
        ]
    }
