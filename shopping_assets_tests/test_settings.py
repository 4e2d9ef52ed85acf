"""Production is a matter of environment variables; secrets stay EnvVars."""

from __future__ import annotations

import pytest
from dagster import EnvVar

from shopping_assets.resources import build_resources
from shopping_assets.settings import Settings, SettingsError

PROD = {
    "SHOPPING_DEPLOYMENT": "prod",
    "SHOPPING_BUCKET": "acme-shopping-inputs",
    "SNOWFLAKE_DATABASE": "ANALYTICS",
    "SNOWFLAKE_WAREHOUSE": "SHOPPING_WH",
    "SNOWFLAKE_ROLE": "SHOPPING_LOADER",
    "SNOWFLAKE_ACCOUNT": "acme-xy12345",
    "SNOWFLAKE_USER": "SHOPPING_LOADER",
}


def test_prod_resources_point_at_aws_and_snowflake_with_secrets_as_env_vars(monkeypatch):
    env = {
        **PROD,
        "SNOWFLAKE_PRIVATE_KEY_PATH": "/run/secrets/key.p8",
        "SNOWFLAKE_PRIVATE_KEY_PASSWORD": "s3cret-value",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    resources = build_resources(settings)

    assert resources["lake"].s3.endpoint_url is None
    assert resources["lake"].bucket == "acme-shopping-inputs"
    warehouse = resources["warehouse"]
    assert not warehouse.emulator and warehouse.database == "ANALYTICS"
    assert warehouse.stage_url == "s3://acme-shopping-inputs/"
    snowflake = warehouse.snowflake
    # a service user logs in with its key pair, resolved at run time, never stored
    assert snowflake.private_key_path == EnvVar("SNOWFLAKE_PRIVATE_KEY_PATH")
    assert snowflake.private_key_password == EnvVar("SNOWFLAKE_PRIVATE_KEY_PASSWORD")
    assert snowflake.password is None
    assert snowflake.account == EnvVar("SNOWFLAKE_ACCOUNT")
    assert "s3cret-value" not in repr(resources)
    assert set(snowflake.additional_snowflake_connection_args) == {
        "session_parameters",
        "platform_detection_timeout_seconds",
    }


def test_a_key_without_a_passphrase_sends_none(monkeypatch):
    for name, value in {**PROD, "SNOWFLAKE_PRIVATE_KEY_PATH": "/run/secrets/key.p8"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SNOWFLAKE_PRIVATE_KEY_PASSWORD", raising=False)
    snowflake = build_resources(Settings.from_env())["warehouse"].snowflake
    assert snowflake.private_key_path == EnvVar("SNOWFLAKE_PRIVATE_KEY_PATH")
    assert snowflake.private_key_password is None and snowflake.password is None


def test_nothing_set_means_the_embedded_deployment(monkeypatch):
    for name in ("SHOPPING_DEPLOYMENT", "SHOPPING_S3_PORT", "SHOPPING_SNOWFLAKE_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env()
    assert settings.local and settings.s3_endpoint == "http://127.0.0.1:9571"
    resources = build_resources(settings)
    assert resources["warehouse"].emulator
    assert resources["warehouse"].snowflake.additional_snowflake_connection_args["host"] == "127.0.0.1"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SHOPPING_DEPLOYMENT", "staging"),
        ("SHOPPING_BUCKET", "Bad_Bucket"),
        ("SNOWFLAKE_DATABASE", "X;DROP"),
        ("SHOPPING_S3_PORT", "http"),
        ("SHOPPING_FIRST_MONTH", "2018-13"),
        ("SHOPPING_S3_MAX_ATTEMPTS", "0"),
    ],
)
def test_bad_configuration_names_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        Settings.from_env()


def test_no_configured_secret_reaches_logs_or_metadata(make_pipeline, monkeypatch, tmp_path):
    """Secrets in the environment of a whole local chain never reach a run's config, tags, events
    or metadata (a step that logged its environment or its resolved config would fail this). That
    prod resources read them only as EnvVars, and alerts keep them out of messages and errors, are
    the tests above and test_alerts.test_secrets_stay_out_of_reprs_and_errors."""

    from data_generator import GeneratorConfig, generate

    secrets = {
        "SNOWFLAKE_PASSWORD": "sf-pw-7f3a9c",
        "SNOWFLAKE_PRIVATE_KEY_PASSWORD": "pk-pw-51be02",
        "AWS_SECRET_ACCESS_KEY": "aws-secret-c0ffee",
        "SHOPPING_ALERT_SMTP_PASSWORD": "smtp-pw-9d8e7f",
        "SHOPPING_ALERT_SLACK_WEBHOOK_URL": "https://hooks.example.invalid/T000/B000/hush-42",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    from datetime import date

    root = tmp_path / "in"
    generate(root, GeneratorConfig(customers=10, seed=1), date(2024, 3, 1), date(2024, 3, 31), progress=False)
    pipeline = make_pipeline(root)
    pipeline.materialise(["2024-03-01"])

    instance = pipeline.instance
    text = []
    for run in instance.get_runs(limit=20):
        text.append(repr(run.run_config) + repr(run.tags))
        text.extend(repr(record) for record in instance.all_logs(run.run_id))
    everything = "\n".join(text)
    assert "raw_transaction_lines" in everything  # the logs were read
    for name, value in secrets.items():
        assert value not in everything, name


def test_env_example_lists_every_variable_the_code_reads():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    sources = [*(root / "shopping_assets").rglob("*.py"), *(root / "data_generator").rglob("*.py")]
    named = {
        match.group(1)
        for source in sources
        for match in re.finditer(r"[\"']((?:SHOPPING|SNOWFLAKE|AWS|DAGSTER)_[A-Z0-9_]+)[\"']", source.read_text())
    }
    assert {"SHOPPING_DEPLOYMENT", "SNOWFLAKE_PRIVATE_KEY_PASSWORD", "SHOPPING_ALERT_SLACK_WEBHOOK_URL"} <= named
    listed = set(re.findall(r"\b[A-Z][A-Z0-9_]+\b", (root / ".env.example").read_text()))
    assert named <= listed, named - listed


def test_only_the_settings_module_reads_the_environment():
    """Every knob is read in one place, when the settings are, never at import."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readers = {
        str(source.relative_to(root))
        for source in [*(root / "shopping_assets").rglob("*.py"), *(root / "data_generator").rglob("*.py")]
        if re.search(r"os\.environ(?!\[\"DAGSTER_HOME\"\] =)|os\.getenv", source.read_text())
    }
    assert readers == {"shopping_assets/settings.py"}


@pytest.mark.parametrize(
    ("name", "value"), [("SHOPPING_CUSTOMERS", "0"), ("SHOPPING_SEED", "-1"), ("SHOPPING_S3_PORT", "x")]
)
def test_a_bad_number_stops_the_command_with_one_line_naming_it(name, value, monkeypatch, tmp_path, capsys):
    from shopping_assets.cli import main

    monkeypatch.setenv("SHOPPING_HOME", str(tmp_path))
    monkeypatch.setenv(name, value)
    assert main(["run", "--months", "1"]) == 2
    assert capsys.readouterr().err.startswith(f"shopping-pipeline: {name}={value!r} ")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SHOPPING_STEP_RETRIES", "three"),
        ("SHOPPING_STEP_RETRY_DELAY", "soon"),
        ("SHOPPING_FRESHNESS_LOWER_BOUND_HOURS", "0"),
        ("SHOPPING_QUARANTINE_MAX_RATE", "2"),
        ("SHOPPING_ALERT_SMTP_PORT", "smtp"),
        ("SHOPPING_UI_URL", "dagster.example.com"),
    ],
)
def test_bad_knobs_stop_the_command_with_one_line_naming_them(name, value, monkeypatch, tmp_path, capsys):
    """Read with the settings, not when a module is imported: the same process can try again."""
    from shopping_assets.cli import main

    monkeypatch.setenv("SHOPPING_HOME", str(tmp_path))
    monkeypatch.setenv(name, value)
    assert main(["run", "--months", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"shopping-pipeline: {name}={value!r} ") and "Traceback" not in err
