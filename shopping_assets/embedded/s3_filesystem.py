"""A read-only fsspec filesystem for `s3://` URLs, backed by boto3.

The Snowflake emulator (DuckDB) reads `s3://` through its httpfs extension, which
DuckDB downloads at run time and so cannot be had offline. Registering this
filesystem on the emulator's DuckDB connection lets the very same COPY INTO from
an S3 stage read the embedded S3 server instead. s3fs would do the same, but it
drags boto3 down to an older release through aiobotocore.
"""

from __future__ import annotations

import io
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import boto3
from fsspec.spec import AbstractFileSystem

# Objects fetched ahead of DuckDB's reads: it reads a COPY's files one at a time, in the
# order it asked about them, and one GET at a time waits on the server's round trips.
READ_AHEAD = 8


def _file_entry(bucket: str, listed: dict[str, Any]) -> dict[str, Any]:
    """fsspec's description of an object, from its entry in a listing."""
    return {
        "name": f"{bucket}/{listed['Key']}",
        "size": listed["Size"],
        "type": "file",
        "LastModified": listed["LastModified"],
        "ETag": listed["ETag"],
    }


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
        # (bucket, folder) -> {key: details}, for the statement running (see new_statement)
        self._listings: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        # the statement's objects in the order DuckDB asked about them, and those being fetched ahead
        self._asked: dict[tuple[str, str], int] = {}
        self._order: list[tuple[str, str]] = []
        self._ahead: dict[tuple[str, str], Future] = {}
        self._pool = ThreadPoolExecutor(max_workers=READ_AHEAD // 2, thread_name_prefix="s3-read-ahead")

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
            entries += [_file_entry(bucket, obj) for obj in page.get("Contents", [])]
        if not entries and key:
            # `ls` of a file lists the file itself, as fsspec expects.
            return [self.info(path)] if detail else [f"{bucket}/{key}"]
        return entries if detail else [e["name"] for e in entries]

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        """The object's size, ETag and mtime, from one listing of its folder per statement:
        DuckDB asks about each file a COPY names before it reads any, and a HEAD each was
        half of a COPY's time."""
        bucket, key = self._split(path)
        details = self._listing(bucket, key.rpartition("/")[0]).get(key)
        if details is None:
            raise FileNotFoundError(path)
        if (bucket, key) not in self._asked:
            self._asked[(bucket, key)] = len(self._order)
            self._order.append((bucket, key))
        return details

    def _listing(self, bucket: str, folder: str) -> dict[str, dict[str, Any]]:
        if (bucket, folder) not in self._listings:
            found = {}
            prefix = f"{folder}/" if folder else ""
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/")
            for page in pages:
                found.update((obj["Key"], _file_entry(bucket, obj)) for obj in page.get("Contents", []))
            self._listings[(bucket, folder)] = found
        return self._listings[(bucket, folder)]

    def new_statement(self) -> None:
        """Forget every listing: each statement sees the bucket as it is when it asks."""
        self._listings.clear()
        self._asked.clear()
        self._order.clear()
        for fetch in self._ahead.values():
            fetch.cancel()
        self._ahead.clear()

    def size(self, path: str) -> int:
        return self.info(path)["size"]

    def modified(self, path: str):
        return self.info(path)["LastModified"]

    def _open(self, path: str, mode: str = "rb", **kwargs: Any):
        """The whole object in one GET: COPY reads every file it names to the end, and
        a buffered file's ranged reads cost a HEAD and a request per block. The next few
        objects the statement asked about are fetched meanwhile."""
        if mode != "rb":
            raise PermissionError("the emulator's S3 filesystem is read-only")
        where = self._split(path)
        etag = self.info(path)["ETag"]
        fetch = self._ahead.pop(where, None)
        self._read_ahead_of(where)
        body = fetch.result() if fetch else self._get(*where, etag)
        return io.BytesIO(body)

    def _read_ahead_of(self, where: tuple[str, str]) -> None:
        position = self._asked.get(where)
        if position is None:
            return
        for bucket, key in self._order[position + 1 : position + 1 + READ_AHEAD]:
            details = self._listing(bucket, key.rpartition("/")[0]).get(key)
            if details and (bucket, key) not in self._ahead and len(self._ahead) < READ_AHEAD:
                self._ahead[(bucket, key)] = self._pool.submit(self._get, bucket, key, details["ETag"])

    def _get(self, bucket: str, key: str, etag: str) -> bytes:
        path = f"s3://{bucket}/{key}"
        try:
            # IfMatch: the size DuckDB was told must be this object's, or the read fails
            # (and the statement with it) instead of mixing two versions
            return self.client.get_object(Bucket=bucket, Key=key, IfMatch=etag)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(path) from None
        except self.client.exceptions.ClientError as error:
            if error.response["Error"]["Code"] in {"412", "PreconditionFailed"}:
                self._listings.pop((bucket, key.rpartition("/")[0]), None)
                raise OSError(f"{path} was replaced while it was being read; load it again") from None
            raise
