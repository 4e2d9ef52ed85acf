"""The embedded Snowflake emulator: fakesnow's HTTP server on 127.0.0.1.

What differs from `fakesnow -s`:
- every session shares one FakeSnow whose databases live in files under `--state`,
  so tables survive a restart (fakesnow's own FAKESNOW_DB_PATH session parameter
  gives each session an exclusive database, which concurrent runs cannot share);
- `s3://` reads go to the embedded S3 server (see s3_filesystem.py), so COPY INTO
  from the external stage works offline exactly as the pipeline issues it; each
  statement lists a folder once, where DuckDB would HEAD every file.
- the project's emulator macros and fakesnow fixes are installed (see emulator_gaps/),
  write_pandas' among them (the pandas IO manager's write path, emulator_gaps/write_pandas.py);
- a session the client closes is closed in DuckDB too, rolling back a transaction
  it left open (fakesnow only forgets the token, and the open transaction would
  then conflict with every later write to the same rows); logins return a master
  token, without which the connector never sends that logout at all;
- a statement the emulator cannot run fails at once with its message, where
  fakesnow answers HTTP 500 and the connector would retry it for minutes;
- a write that conflicts with another session's open transaction fails with a
  lock error naming the conflict (Snowflake would wait for the lock instead; the
  step's RetryPolicy does the waiting here);
- a transaction left open by a client that died (SIGKILL, lost machine) is rolled
  back once it has been idle for --detached-timeout seconds, as Snowflake aborts
  a detached transaction that blocks others after 5 idle minutes;
- a result's columns come from DuckDB's description of it, where fakesnow parses and runs
  `DESCRIBE <statement>` again after every statement;
- internal-stage files live beside the state, where fakesnow would leave a new
  folder in /tmp at every start.
All of it reaches into fakesnow's module state, which is why fakesnow is pinned exactly.

Run as: python -m shopping_assets.embedded.snowflake_server --port 9572 --state DIR --s3-endpoint URL
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

from starlette.routing import request_response


def _fail_fast(server_module) -> None:
    """Answer fakesnow's internal errors as ordinary SQL errors instead of HTTP 500."""
    import json

    from starlette.responses import JSONResponse

    original = server_module.query_request

    async def query_request(request):
        response = await original(request)
        if response.status_code != 500:
            return response
        body = json.loads(response.body)
        return JSONResponse(
            {
                "data": {"errorCode": "002003", "sqlState": "0A000"},
                "code": "002003",
                "message": f"Snowflake emulator cannot run this statement: {body.get('message')}",
                "success": False,
            }
        )

    _replace_route(server_module.app, "/queries/v1/query-request", query_request)


def _master_token(server_module) -> None:
    """Log in with a master token too: without one the connector never sends its logout."""
    import json

    from starlette.responses import JSONResponse

    original = _route_endpoint(server_module.app, "/session/v1/login-request")

    async def login_request(request):
        response = await original(request)
        body = json.loads(response.body)
        if body.get("success") and body["data"].get("masterToken") is None:
            body["data"]["masterToken"] = body["data"]["token"]
            return JSONResponse(body, status_code=response.status_code)
        return response

    _replace_route(server_module.app, "/session/v1/login-request", login_request)


def _close_on_delete(server_module) -> None:
    original = server_module.session

    async def session(request):
        if request.query_params.get("delete"):
            token = request.headers.get("Authorization", "")[17:-1]
            if (conn := server_module.sessions.get(token)) is not None:
                conn.close()
        return await original(request)

    _replace_route(server_module.app, "/session", session)


def _internal_stages_under(directory: Path) -> None:
    """Keep fakesnow's internal-stage files (PUT) beside the state, not in a new /tmp folder per start."""
    from fakesnow.transforms import stage

    # fakesnow makes its (empty) folder with mkdtemp when imported; every start would leave one behind
    Path(stage.LOCAL_BUCKET_PATH).rmdir()
    directory.mkdir(parents=True, exist_ok=True)
    stage.LOCAL_BUCKET_PATH = str(directory.resolve())


def _conflicts_as_lock_errors() -> None:
    import duckdb
    import snowflake.connector.errors
    from fakesnow.cursor import FakeSnowflakeCursor

    original = FakeSnowflakeCursor.execute

    def execute(self, command, *args, **kwargs):
        try:
            return original(self, command, *args, **kwargs)
        except duckdb.TransactionException as error:
            raise snowflake.connector.errors.ProgrammingError(
                msg=f"Snowflake emulator: this statement conflicts with another session's open transaction "
                f"(Snowflake would wait for its lock): {error}",
                errno=625,
                sqlstate="57014",
            ) from None

    FakeSnowflakeCursor.execute = execute


def _describe_from_the_result() -> None:
    """Describe a statement's result from DuckDB's own description of it: fakesnow parses and
    runs `DESCRIBE <statement>` again after every statement (a tenth to a sixth of the
    emulator's busy time in profiles of the tests)."""
    from fakesnow.cursor import FakeSnowflakeCursor

    run, describe_again = FakeSnowflakeCursor._execute, FakeSnowflakeCursor._describe_last_sql

    def _execute(self, transformed, params=None):
        self._described = None
        run(self, transformed, params)
        # (a result restored from fakesnow's cache keeps its own statement: described again)
        if self._last_transformed is transformed and self._duck_conn.description is not None:
            self._described = (self._last_sql, self._duck_conn.description)

    def _describe_last_sql(self):
        described = getattr(self, "_described", None)
        if described is None or described[0] is not self._last_sql:
            return describe_again(self)
        return [(name, str(kind), "YES", None, None, None) for name, kind, *_ in described[1]]

    FakeSnowflakeCursor._execute = _execute
    FakeSnowflakeCursor._describe_last_sql = _describe_last_sql


def _abort_detached_transactions(server_module, timeout: float) -> None:
    """Roll back transactions whose client has gone quiet for `timeout` seconds."""
    lock = threading.Lock()
    # token -> [last request ended at, requests in flight, transaction open]
    sessions: dict[str, list] = {}
    original = _route_endpoint(server_module.app, "/queries/v1/query-request")

    async def query_request(request):
        token = request.headers.get("Authorization", "")[17:-1]
        text = _statement_text(await request.body(), request.headers.get("Content-Encoding"))
        with lock:
            state = sessions.setdefault(token, [0.0, 0, False])
            state[1] += 1
        try:
            return await original(request)
        finally:
            with lock:
                state[0], state[1] = time.monotonic(), state[1] - 1
                if text.startswith(("BEGIN", "START TRANSACTION")):
                    state[2] = True
                elif text.startswith(("COMMIT", "ROLLBACK")):
                    state[2] = False

    def reap() -> None:
        while True:
            time.sleep(min(1.0, timeout / 2))
            with lock:
                now = time.monotonic()
                for token, (last, in_flight, open_transaction) in list(sessions.items()):
                    if token not in server_module.sessions:
                        del sessions[token]
                    elif open_transaction and not in_flight and now - last > timeout:
                        server_module.sessions.pop(token).close()
                        del sessions[token]
                        print(f"rolled back a transaction detached for {now - last:.0f} s", flush=True)

    _replace_route(server_module.app, "/queries/v1/query-request", query_request)
    threading.Thread(target=reap, name="detached-transactions", daemon=True).start()


def _listings_per_statement(server_module, filesystem) -> None:
    """Each statement lists the bucket's folders afresh (see BotoS3FileSystem.info)."""
    original = _route_endpoint(server_module.app, "/queries/v1/query-request")

    async def query_request(request):
        filesystem.new_statement()
        return await original(request)

    _replace_route(server_module.app, "/queries/v1/query-request", query_request)


def _statement_text(body: bytes, encoding: str | None) -> str:
    import gzip
    import json

    try:
        payload = json.loads(gzip.decompress(body) if encoding == "gzip" else body)
        return payload.get("sqlText", "").lstrip().upper()
    except ValueError:
        return ""


def _route_endpoint(app, path: str):
    return next(route.endpoint for route in app.routes if getattr(route, "path", "") == path)


def _replace_route(app, path: str, endpoint) -> None:
    for route in app.routes:
        if getattr(route, "path", "") == path:
            route.endpoint = endpoint
            route.app = request_response(endpoint)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--s3-endpoint", required=True)
    parser.add_argument("--detached-timeout", type=float, default=30.0)
    args = parser.parse_args(argv)

    from shopping_assets import collector

    with collector.long_lived_imports():
        import fakesnow.server
        import uvicorn
        from fakesnow.instance import FakeSnow

        from shopping_assets.embedded import emulator_gaps
        from shopping_assets.embedded.s3_filesystem import BotoS3FileSystem

    args.state.mkdir(parents=True, exist_ok=True)
    _internal_stages_under(args.state.parent / "snowflake-stages")
    shared = FakeSnow(db_path=args.state)
    filesystem = BotoS3FileSystem(endpoint_url=args.s3_endpoint)
    shared.duck_conn.register_filesystem(filesystem)
    emulator_gaps.install(shared.duck_conn)
    fakesnow.server.shared_fs = shared
    _fail_fast(fakesnow.server)
    _master_token(fakesnow.server)
    _close_on_delete(fakesnow.server)
    _conflicts_as_lock_errors()
    _describe_from_the_result()
    _abort_detached_transactions(fakesnow.server, args.detached_timeout)
    _listings_per_statement(fakesnow.server, filesystem)

    print(f"snowflake emulator ready on 127.0.0.1:{args.port}", flush=True)
    uvicorn.run(fakesnow.server.app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
