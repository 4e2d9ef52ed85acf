"""The embedded services: started and stopped by the project, data kept across a restart."""

from __future__ import annotations

import socket
import time
from dataclasses import replace

import boto3
import pytest
import snowflake.connector

from shopping_assets.embedded import services


def test_objects_and_tables_survive_a_stop_and_start(settings, tmp_path, system_tmp):
    own = replace(settings, home=tmp_path / "home", s3_port=services.free_port(), snowflake_port=services.free_port())
    try:
        assert services.start(own) == ["s3", "snowflake"]
        s3 = boto3.client(
            "s3",
            endpoint_url=own.s3_endpoint,
            region_name="us-east-1",
            aws_access_key_id="embedded",
            aws_secret_access_key="embedded",
        )
        s3.create_bucket(Bucket="kept")
        s3.put_object(Bucket="kept", Key="a/b.json", Body=b'{"x": 1}\n')
        with _connect(own) as conn:
            conn.cursor().execute("CREATE TABLE KEPT.PUBLIC.T AS SELECT 42 AS X")

        assert set(services.stop(own)) == {"s3", "snowflake"}
        assert all(state == "stopped" for state in services.status(own).values())
        assert services.start(own) == ["s3", "snowflake"]

        assert s3.get_object(Bucket="kept", Key="a/b.json")["Body"].read() == b'{"x": 1}\n'
        with _connect(own) as conn:
            assert conn.cursor().execute("SELECT X FROM KEPT.PUBLIC.T").fetchall() == [(42,)]
        # starting again is a no-op while they run
        assert services.start(own) == []
        # the S3 server's log holds its start and stop, not a line per request
        (s3_service,) = (service for service in services.services(own) if service.name == "s3")
        assert "GET /kept/a/b.json" not in s3_service.log_file.read_text()
    finally:
        services.stop(own)
    assert sorted(path.name for path in system_tmp.iterdir()) == []


def test_a_command_failing_while_the_services_boot_leaves_none_running(settings, tmp_path):
    import os

    own = replace(settings, home=tmp_path / "home", s3_port=services.free_port(), snowflake_port=services.free_port())
    booting: list[int] = []

    def fails() -> None:  # the command's own work while the servers boot (run imports Dagster)
        booting.extend(service.pid() for service in services.services(own))
        raise RuntimeError("the command failed")

    with pytest.raises(RuntimeError, match="the command failed"):
        services.start(own, meanwhile=fails)
    assert len(booting) == 2 and all(booting)
    for pid in booting:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not any(own.home.rglob("*.pid"))


def test_a_taken_port_is_reported(settings, tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        own = replace(settings, home=tmp_path / "home", s3_port=squatter.getsockname()[1])
        try:
            services.start(own)
        except services.ServiceError as error:
            assert "SHOPPING_S3_PORT" in str(error)
        else:
            raise AssertionError("started on a taken port")
        finally:
            services.stop(own)


def _connect(settings):
    return snowflake.connector.connect(
        account="embedded",
        user="u",
        password="p",
        database="KEPT",
        schema="PUBLIC",
        host="127.0.0.1",
        port=settings.snowflake_port,
        protocol="http",
        session_parameters={"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
    )


def test_the_emulators_s3_reads_never_mix_two_versions_of_an_object(settings):
    # DuckDB learns a file's size from a HEAD, then reads it: an object replaced in
    # between must fail that read (COPY fails, the step retries), not yield a blend.
    from shopping_assets.embedded.s3_filesystem import BotoS3FileSystem

    fs = BotoS3FileSystem(endpoint_url=settings.s3_endpoint)
    fs.client.create_bucket(Bucket="versions")
    path = "s3://versions/d/2024-05-01.json"
    fs.client.put_object(Bucket="versions", Key="d/2024-05-01.json", Body=b'{"a": 1}\n')
    assert fs.info(path)["size"] == 9 and fs.size(path) == 9

    fs.client.put_object(Bucket="versions", Key="d/2024-05-01.json", Body=b'{"a": 1}\n{"b": 2}\n')
    with pytest.raises(OSError, match="replaced while it was being read"):
        fs.open(path, "rb")

    assert fs.info(path)["size"] == 18
    with fs.open(path, "rb") as file:
        assert file.read() == b'{"a": 1}\n{"b": 2}\n'


def test_the_emulators_s3_reads_list_each_folder_once_a_statement(settings):
    # DuckDB asks about every file a COPY names before reading any: one listing of their
    # folder answers for all of them, and the next statement lists again.
    from shopping_assets.embedded.s3_filesystem import BotoS3FileSystem

    fs = BotoS3FileSystem(endpoint_url=settings.s3_endpoint)
    fs.client.create_bucket(Bucket="listings")
    for day in range(1, 4):
        fs.client.put_object(Bucket="listings", Key=f"d/2024-05-0{day}.json", Body=b"{}\n" * day)
    calls = []

    def read(model, **_) -> None:  # a handler that returns a value would answer the call itself
        if model.name != "PutObject":
            calls.append(model.name)

    fs.client.meta.events.register("before-call.s3", read)

    assert [fs.info(f"s3://listings/d/2024-05-0{day}.json")["size"] for day in range(1, 4)] == [3, 6, 9]
    assert calls == ["ListObjectsV2"]
    with pytest.raises(FileNotFoundError):
        fs.info("s3://listings/d/2024-05-04.json")

    # then it reads them in that order: reading the first fetches the next ones meanwhile, once
    paths = [f"s3://listings/d/2024-05-0{day}.json" for day in range(1, 4)]
    assert fs.open(paths[0], "rb").read() == b"{}\n"
    deadline = time.monotonic() + 10
    while calls.count("GetObject") < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [fs.open(path, "rb").read() for path in paths[1:]] == [b"{}\n" * 2, b"{}\n" * 3]
    assert sorted(calls) == ["GetObject"] * 3 + ["ListObjectsV2"]

    fs.client.put_object(Bucket="listings", Key="d/2024-05-04.json", Body=b"{}\n")
    fs.new_statement()
    assert fs.info("s3://listings/d/2024-05-04.json")["size"] == 3
    assert calls.count("ListObjectsV2") == 2


def test_the_emulator_describes_each_result_as_describing_its_statement_again_would(monkeypatch):
    # the server answers every statement with its result's columns (their rowtype): read from
    # DuckDB's own description of the result instead of running DESCRIBE <statement> again
    from fakesnow.cursor import FakeSnowflakeCursor
    from fakesnow.instance import FakeSnow
    from fakesnow.rowtype import describe_as_rowtype

    from shopping_assets.embedded import snowflake_server

    for name in ("_execute", "_describe_last_sql"):  # restored after the test
        monkeypatch.setattr(FakeSnowflakeCursor, name, getattr(FakeSnowflakeCursor, name))
    describe_again = FakeSnowflakeCursor._describe_last_sql
    snowflake_server._describe_from_the_result()

    cursor = FakeSnow().connect(database="D", schema="S").cursor()
    statements = [
        "CREATE TABLE T (N NUMBER(10, 2) NOT NULL, S VARCHAR, V VARIANT, A ARRAY, O OBJECT, "
        "TS TIMESTAMP_NTZ, TL TIMESTAMP_LTZ, D DATE, B BOOLEAN, F FLOAT)",
        "INSERT INTO T SELECT 1.5, 'x', PARSE_JSON('{\"k\": 1}'), ARRAY_CONSTRUCT(1), OBJECT_CONSTRUCT('k', 1), "
        "'2024-05-01 09:00:00', '2024-05-01 09:00:00', '2024-05-01', TRUE, 0.5",
        "SELECT * FROM T",
        "SELECT N * 2 AS DOUBLED, COUNT(*) OVER () AS ROWS_SEEN, V:k::INT AS K FROM T WHERE S = %(s)s",
        "UPDATE T SET S = 'y' WHERE B",
        "SHOW TABLES",
        "DESCRIBE TABLE T",
        "BEGIN",
        "DELETE FROM T",
        "COMMIT",
    ]
    described = []
    for statement in statements:
        cursor.execute(statement, {"s": "x"} if "%(s)s" in statement else None)
        described.append(cursor._describe_last_sql())
        assert describe_as_rowtype(described[-1]) == describe_as_rowtype(describe_again(cursor)), statement
    # a SELECT of every type: its columns, by name and DuckDB type
    assert [(name, kind) for name, kind, *_ in described[2]] == [
        ("N", "DECIMAL(10,2)"),
        ("S", "VARCHAR"),
        ("V", "JSON"),
        ("A", "JSON"),
        ("O", "JSON"),
        ("TS", "TIMESTAMP"),
        ("TL", "TIMESTAMP WITH TIME ZONE"),
        ("D", "DATE"),
        ("B", "BOOLEAN"),
        ("F", "DOUBLE"),
    ]
    # a result fetched again by its query id is described from its own statement
    first = cursor.execute("SELECT 1 AS ONE").sfqid
    cursor.execute("SELECT 'two' AS TWO")
    cursor.execute(f"SELECT * FROM TABLE(RESULT_SCAN('{first}'))")
    assert [column[:2] for column in cursor._describe_last_sql()] == [("ONE", "INTEGER")]


def test_the_emulator_parses_with_the_compiled_sqlglot():
    # sqlglotc lays mypyc-compiled modules over sqlglot's own; without them every statement
    # the emulator serves is tokenised, parsed and rewritten in pure Python
    from sqlglot import expressions, generator, parser, tokenizer_core

    for module in (tokenizer_core, parser, generator, expressions.core):
        assert module.__file__.endswith(".so"), module.__file__
