"""`shopping-pipeline doctor` on the embedded deployment: every probe passes, what it staged
is gone afterwards, and a deployment that lacks something is told what."""

from __future__ import annotations

import uuid

import pytest

from shopping_assets import doctor
from shopping_assets.bootstrap.grants import ObjectGrant
from shopping_assets.cli import main
from shopping_assets.embedded import emulator_gaps


@pytest.fixture
def isolated(settings, monkeypatch) -> tuple[str, str]:
    unique = uuid.uuid4().hex[:8]
    database, prefix = f"DOCTOR_{unique}".upper(), f"doctor-{unique}/"
    monkeypatch.setenv("SNOWFLAKE_DATABASE", database)
    monkeypatch.setenv("SHOPPING_S3_PREFIX", prefix)
    return database, prefix


def test_every_probe_passes_on_the_embedded_deployment_and_leaves_nothing(settings, isolated, capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith(("PASS", "FAIL"))]
    names = [line.split(":")[0].split(None, 1)[1] for line in lines]
    assert names == [
        "s3",
        "s3 public access",
        "s3 encryption",
        "s3 versioning",
        "s3 TLS-only policy",
        "snowflake login",
        "snowflake grants",
        "snowflake objects",
        "stage",
        "load lines",
        "load file names",
        "line rules",
        "regexp anchoring",
        "arrow batches",
        "pandas writes",
        "table sizes",
    ]
    assert all(line.startswith("PASS") for line in lines), out
    assert "doctor: 16 of 16 probes passed" in out
    # the load probe went through the real COPY stand-in, line reader and classification
    assert "lines with CRLF ends, a BOM and a blank line" in out and "classified as the catalogue says" in out
    assert "'AT': 'TIMESTAMP_NTZ(9)'" in out and "as the emulator infers them" in out
    from shopping_assets.resources import build_resources
    from shopping_assets.settings import Settings

    lake = build_resources(Settings.from_env())["lake"]
    assert lake.list_keys(lake.client(), doctor.PROBE_FOLDER) == {}


def test_a_missing_table_fails_its_probe_with_what_to_do(settings, isolated, capsys):
    from shopping_assets.embedded import bootstrap
    from shopping_assets.resources import build_resources
    from shopping_assets.settings import Settings

    current = Settings.from_env()
    bootstrap.apply(current)
    with build_resources(current)["warehouse"].session() as session:
        session.connection.cursor().execute(f"DROP TABLE {isolated[0]}.STAGING.QUARANTINE")
    probes = {p.name: p for p in doctor.run(current)}
    objects = probes["snowflake objects"]
    assert not objects.passed and "STAGING.QUARANTINE has columns None" in objects.detail
    assert "run `shopping-pipeline bootstrap`" in objects.line()


def test_the_emulator_loads_a_line_with_a_repeated_key_that_snowflake_refuses():
    """The named gap: doctor expects Snowflake's answer on Snowflake, the emulator's here."""
    expected, _ = doctor.probe_file(emulator=True)
    assert (emulator_gaps.REPEATED_KEY_LINE, None) in expected
    expected, _ = doctor.probe_file(emulator=False)
    assert (emulator_gaps.REPEATED_KEY_LINE, "malformed_json") in expected


def test_the_probe_file_has_crlf_ends_a_bom_a_blank_line_and_no_final_line_end():
    expected, body = doctor.probe_file(emulator=False)
    assert body.startswith("\ufeff".encode()) and body.count(b"\r\n") == len(expected) - 1
    assert not body.endswith(b"\n") and b"\r\n\r\n" in body
    assert any("\\" in text for text, _ in expected)  # a backslash must survive as it is


def test_grants_are_compared_with_what_snowflake_shows():
    """SHOW GRANTS TO ROLE and SHOW FUTURE GRANTS IN SCHEMA rows, in the columns Snowflake's docs give."""
    planned = {
        ObjectGrant("USAGE", "DATABASE", "SHOPPING", "SHOPPING_LOADER"),
        ObjectGrant("USAGE", "INTEGRATION", "SHOPPING_S3", "SHOPPING_LOADER"),
        ObjectGrant("SELECT", "ALL TABLES IN SCHEMA", "SHOPPING.RAW", "SHOPPING_LOADER"),
        ObjectGrant("SELECT", "FUTURE TABLES IN SCHEMA", "SHOPPING.RAW", "SHOPPING_LOADER"),
        ObjectGrant("USAGE", "FUTURE FILE FORMATS IN SCHEMA", "SHOPPING.RAW", "SHOPPING_LOADER"),
    }
    shown = {
        "SHOPPING_LOADER": [
            {"privilege": "USAGE", "granted_on": "DATABASE", "name": "SHOPPING", "grantee_name": "SHOPPING_LOADER"},
            {
                "privilege": "SELECT",
                "granted_on": "TABLE",
                "name": "SHOPPING.RAW.CUSTOMERS",
                "grantee_name": "SHOPPING_LOADER",
            },
        ]
    }
    future = {
        "RAW": [
            {
                "privilege": "SELECT",
                "grant_on": "TABLE",
                "name": "SHOPPING.RAW.<TABLE>",
                "grantee_name": "SHOPPING_LOADER",
            },
            {
                "privilege": "USAGE",
                "grant_on": "FILE_FORMAT",
                "name": "SHOPPING.RAW.<FILE_FORMAT>",
                "grantee_name": "SHOPPING_LOADER",
            },
        ]
    }
    assert doctor.missing_grants(planned, shown, future) == ["USAGE ON INTEGRATION SHOPPING_S3 TO SHOPPING_LOADER"]
