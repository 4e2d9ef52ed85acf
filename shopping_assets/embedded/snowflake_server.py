"""The embedded Snowflake emulator: fakesnow's HTTP server on 127.0.0.1.

Five things differ from `fakesnow -s`:
- every session shares one FakeSnow whose databases live in files under `--state`,
  so tables survive a restart (fakesnow's own FAKESNOW_DB_PATH session parameter
  gives each session an exclusive database, which concurrent runs cannot share);
- `s3://` reads go to the embedded S3 server (see s3_filesystem.py), so COPY INTO
  from the external stage works offline exactly as the pipeline issues it.
- the project's emulator macros are installed (see emulator_gaps.py);
- a session the client closes is closed in DuckDB too, rolling back a transaction
  it left open (fakesnow only forgets the token, and the open transaction would
  then conflict with every later write to the same rows);
- a statement the emulator cannot run fails at once with its message, where
  fakesnow answers HTTP 500 and the connector would retry it for minutes.
All of it reaches into fakesnow's module state, which is why fakesnow is pinned exactly.

Run as: python -m shopping_assets.embedded.snowflake_server --port 9572 --state DIR --s3-endpoint URL
"""

from __future__ import annotations

import argparse

from starlette.routing import request_response
from pathlib import Path


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


def _close_on_delete(server_module) -> None:
    original = server_module.session

    async def session(request):
        if request.query_params.get("delete"):
            token = request.headers.get("Authorization", "")[17:-1]
            if (conn := server_module.sessions.get(token)) is not None:
                conn.close()
        return await original(request)

    _replace_route(server_module.app, "/session", session)


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
    args = parser.parse_args(argv)

    import fakesnow.server
    import uvicorn
    from fakesnow.instance import FakeSnow

    from shopping_assets import emulator_gaps
    from shopping_assets.embedded.s3_filesystem import BotoS3FileSystem

    args.state.mkdir(parents=True, exist_ok=True)
    shared = FakeSnow(db_path=args.state)
    shared.duck_conn.register_filesystem(BotoS3FileSystem(endpoint_url=args.s3_endpoint))
    emulator_gaps.install(shared.duck_conn)
    fakesnow.server.shared_fs = shared
    _fail_fast(fakesnow.server)
    _close_on_delete(fakesnow.server)

    print(f"snowflake emulator ready on 127.0.0.1:{args.port}", flush=True)
    uvicorn.run(fakesnow.server.app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
