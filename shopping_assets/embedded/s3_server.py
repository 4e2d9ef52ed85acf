"""The embedded S3-compatible server: moto, on 127.0.0.1, with its objects kept on disk.

moto holds objects in memory only. So that data survives a restart, this process
restores the bucket contents from `--state` when it starts and writes them back
when it is told to stop (SIGTERM or SIGINT). Buckets and listings go through the S3
API; each object's bytes are put and read in moto's backend in this very process,
since a request per object costs moto about 10 ms (saving 831 objects over HTTP took
21 s of every command's stop). That is moto's model API, one reason moto is pinned.

moto's server finds each request's service by listing its own package folder, twice a
request and under one lock: a fifth of the server's time. Here the folder is listed once,
and requests are not logged one by one.

Run as: python -m shopping_assets.embedded.s3_server --port 9571 --state DIR
"""

from __future__ import annotations

import argparse
import shutil
import signal
import threading
from pathlib import Path

import boto3
from botocore.config import Config

# Real credentials are never used here; moto accepts any pair.
_LOCAL_CREDENTIALS = {"aws_access_key_id": "embedded", "aws_secret_access_key": "embedded"}


def _client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 3}),
        **_LOCAL_CREDENTIALS,
    )


def _list_moto_modules_once() -> None:
    """moto's dispatcher lists its own package folder to find each request's service, twice a
    request and under one lock; the folder does not change while the server runs."""
    from moto import backends

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules


def _serve(port: int):
    """moto's threaded server on 127.0.0.1:`port`, as moto.server.ThreadedMotoServer runs it."""
    import logging

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    _list_moto_modules_once()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, name="s3-server", daemon=True).start()
    return server


def _backend():
    """moto's S3 backend, which the server of this process serves."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    return s3_backends[DEFAULT_ACCOUNT_ID]["aws"]


def restore(client, state: Path) -> int:
    """Recreate every bucket and object found under `state/<bucket>/<key>`."""
    count = 0
    if not state.is_dir():
        return count
    backend = _backend()
    for bucket_dir in sorted(p for p in state.iterdir() if p.is_dir()):
        client.create_bucket(Bucket=bucket_dir.name)
        for path in sorted(p for p in bucket_dir.rglob("*") if p.is_file()):
            backend.put_object(bucket_dir.name, path.relative_to(bucket_dir).as_posix(), path.read_bytes())
            count += 1
    return count


def snapshot(client, state: Path) -> int:
    """Write every object the S3 API lists to a fresh copy of `state`, then swap it in whole."""
    fresh = state.with_name(state.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    backend = _backend()
    count = 0
    for bucket in client.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        (fresh / name).mkdir()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
            for obj in page.get("Contents", []):
                target = fresh / name / obj["Key"]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(backend.get_object(name, obj["Key"]).value)
                count += 1
    old = state.with_name(state.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if state.exists():
        state.rename(old)
    fresh.rename(state)
    shutil.rmtree(old, ignore_errors=True)
    return count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state", type=Path, required=True)
    args = parser.parse_args(argv)

    server = _serve(args.port)
    client = _client(f"http://127.0.0.1:{args.port}")
    restored = restore(client, args.state)
    print(f"s3 server ready on 127.0.0.1:{args.port} ({restored} objects restored)", flush=True)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    saved = snapshot(client, args.state)
    server.shutdown()
    print(f"s3 server stopped ({saved} objects saved)", flush=True)


if __name__ == "__main__":
    main()
