"""A read-only fsspec filesystem for `s3://` URLs, backed by boto3.

The Snowflake emulator (DuckDB) reads `s3://` through its httpfs extension, which
DuckDB downloads at run time and so cannot be had offline. Registering this
filesystem on the emulator's DuckDB connection lets the very same COPY INTO from
an S3 stage read the embedded S3 server instead. s3fs would do the same, but it
drags boto3 down to an older release through aiobotocore.
"""

from __future__ import annotations

import io
from typing import Any

import boto3
from fsspec.spec import AbstractFileSystem


class BotoS3FileSystem(AbstractFileSystem):
    protocol = ("s3", "s3a")
    cachable = False

    def __init__(self, endpoint_url: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="embedded",
            aws_secret_access_key="embedded",
        )
        self._seen: dict[tuple[str, str], dict[str, Any]] = {}

    @staticmethod
    def _split(path: str) -> tuple[str, str]:
        path = path.split("://", 1)[-1].lstrip("/")
        bucket, _, key = path.partition("/")
        return bucket, key

    def ls(self, path: str, detail: bool = True, **kwargs: Any):
        bucket, key = self._split(path)
        prefix = f"{key.rstrip('/')}/" if key else ""
        entries = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                entries.append({"name": f"{bucket}/{common['Prefix'].rstrip('/')}", "size": 0, "type": "directory"})
            for obj in page.get("Contents", []):
                entries.append({"name": f"{bucket}/{obj['Key']}", "size": obj["Size"], "type": "file"})
        if not entries and key:
            # `ls` of a file lists the file itself, as fsspec expects.
            return [self.info(path)] if detail else [f"{bucket}/{key}"]
        return entries if detail else [e["name"] for e in entries]

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        bucket, key = self._split(path)
        try:
            head = self.client.head_object(Bucket=bucket, Key=key)
        except self.client.exceptions.ClientError as error:
            if error.response["Error"]["Code"] in {"404", "NoSuchKey"}:
                raise FileNotFoundError(path) from None
            raise
        details = {
            "name": f"{bucket}/{key}",
            "size": head["ContentLength"],
            "type": "file",
            "LastModified": head["LastModified"],
            "ETag": head["ETag"],
        }
        self._seen[(bucket, key)] = details
        return details

    def _details(self, path: str) -> dict[str, Any]:
        """What the last HEAD of `path` said. DuckDB checks that a file exists (a fresh
        HEAD, see info), then asks its size and mtime: two more HEADs were most of a
        COPY's time. A stale answer cannot leak into a read: the GET names the ETag."""
        return self._seen.get(self._split(path)) or self.info(path)

    def size(self, path: str) -> int:
        return self._details(path)["size"]

    def modified(self, path: str):
        return self._details(path)["LastModified"]

    def _open(self, path: str, mode: str = "rb", **kwargs: Any):
        """The whole object in one GET: COPY reads every file it names to the end, and
        a buffered file's ranged reads cost a HEAD and a request per block."""
        if mode != "rb":
            raise PermissionError("the emulator's S3 filesystem is read-only")
        bucket, key = self._split(path)
        try:
            # IfMatch: the size DuckDB was told must be this object's, or the read fails
            # (and the statement with it) instead of mixing two versions
            etag = self._details(path)["ETag"]
            return io.BytesIO(self.client.get_object(Bucket=bucket, Key=key, IfMatch=etag)["Body"].read())
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(path) from None
        except self.client.exceptions.ClientError as error:
            if error.response["Error"]["Code"] in {"412", "PreconditionFailed"}:
                raise OSError(f"{path} was replaced while it was being read; load it again") from None
            raise
