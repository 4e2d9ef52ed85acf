"""The input bucket: where the pipeline's files land before Snowflake reads them."""

import hashlib
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError
from dagster import ConfigurableResource, ResourceDependency
from dagster_aws.s3 import S3Resource
from pydantic import PrivateAttr

from shopping_assets import checkpoints, quality
from shopping_assets.errors import ServiceCallError

S3_ERRORS = (BotoCoreError, ClientError, Boto3Error)
UPLOAD_THREADS = 4
# below boto3's own multipart threshold (8 MB) a file goes up in one PutObject, which costs half the
# client's time of upload_file's transfer machinery (day files are a few KB to a few MB)
SINGLE_REQUEST_BYTES = TransferConfig().multipart_threshold
LIST_PAGE_SIZE = 1000  # S3's maximum per ListObjectsV2 page; the paginator follows continuation tokens


class _NamingClient:
    """The boto3 client, whose failures (after botocore's retries) name S3, the endpoint and the call."""

    def __init__(self, client, where: str):
        self._client = client
        self._where = where

    def failed(self, operation: str, error: Exception) -> ServiceCallError:
        return ServiceCallError(f"S3 {operation} on {self._where} failed: {error}")

    def __getattr__(self, name: str):
        attribute = getattr(self._client, name)
        if not callable(attribute) or name == "get_paginator":
            return attribute

        def call(*args, **kwargs):
            try:
                return attribute(*args, **kwargs)
            except S3_ERRORS as error:
                raise self.failed(name, error) from error

        return call


def objects_digest(etags: Mapping[str, str]) -> str:
    """A short digest of objects' keys and ETags: a different digest, different objects or contents."""
    return hashlib.sha256("\n".join(sorted(f"{key}\t{etag}" for key, etag in etags.items())).encode()).hexdigest()[:16]


class Lake(ConfigurableResource):
    s3: ResourceDependency[S3Resource]
    bucket: str
    prefix: str = ""

    _client: Any = PrivateAttr(default=None)

    def client(self):
        """The boto3 client, made once per resource (a run's steps share it): building one costs ~0.4 s."""
        if self._client is None:
            where = f"{self.s3.endpoint_url or 'AWS'} (bucket {self.bucket})"
            self._client = _NamingClient(self.s3.get_client(), where)
        return self._client

    def _upload(self, client, path: Path, key: str) -> None:
        if path.stat().st_size < SINGLE_REQUEST_BYTES:
            client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=path.read_bytes())
        else:
            client.upload_file(str(path), self.bucket, self.prefix + key)

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}{key}"

    def list_keys(self, client, folder: str) -> dict[str, str]:
        """Stage-relative keys under `folder`, with their ETags."""
        found = {}
        try:
            pages = client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix + folder, PaginationConfig={"PageSize": LIST_PAGE_SIZE}
            )
            for page in pages:
                for obj in page.get("Contents", []):
                    found[obj["Key"][len(self.prefix) :]] = obj["ETag"]
        except S3_ERRORS as error:
            raise client.failed("ListObjectsV2", error) from error
        return found

    def count_lines(self, keys: Iterable[str]) -> int:
        """Lines in the objects, as COPY counts records; read in chunks, never whole."""
        client, total = self.client(), 0
        for key in keys:
            try:
                body = client.get_object(Bucket=self.bucket, Key=self.prefix + key)["Body"]
                total += quality.count_records(body.iter_chunks(quality.CHUNK))
            except S3_ERRORS as error:  # a read that breaks mid-body
                raise client.failed(f"GetObject {key}", error) from error
        return total

    def mirror(self, files: Mapping[str, Path], folder: str) -> dict[str, int | str]:
        """Make `folder` hold exactly `files` (stage-relative key -> local path).

        Uploads every file and deletes keys under `folder` that no longer have one,
        so rerunning with the same inputs always leaves the same objects.
        Returns {"uploaded": n, "deleted": n, "bytes": n, "digest": objects_digest of the folder's objects}.
        """
        if any(not key.startswith(folder) for key in files):
            raise ValueError(f"every key must be under {folder!r}")
        client = self.client()
        # a few uploads at once: one stream of small files waits on round trips
        with ThreadPoolExecutor(max_workers=UPLOAD_THREADS) as pool:
            uploads = [pool.submit(self._upload, client, path, key) for key, path in sorted(files.items())]
            try:
                for number, upload in enumerate(as_completed(uploads), start=1):
                    upload.result()
                    checkpoints.reached(f"upload:{number}")
            except BaseException:
                # the rest would fail as this one did, each after botocore's backoffs: fail the step now
                for upload in uploads:
                    upload.cancel()
                raise
        size = sum(path.stat().st_size for path in files.values())
        listed = self.list_keys(client, folder)
        stale = sorted(set(listed) - set(files))
        for start in range(0, len(stale), 1000):
            chunk = stale[start : start + 1000]
            client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": self.prefix + k} for k in chunk], "Quiet": True}
            )
        digest = objects_digest({key: etag for key, etag in listed.items() if key in files})
        return {"uploaded": len(files), "deleted": len(stale), "bytes": size, "digest": digest}
