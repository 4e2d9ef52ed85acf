"""Alerts are really delivered: a local SMTP server and a local Slack-style webhook receive them.

Staleness is Dagster's own: the freshness daemon's evaluation (its real code, run in
this process at chosen instants) judges the policy, and a real run judges the latest
month's check; the sensor follows what they recorded. The failed run is a real month of
the pipeline, on the embedded services, stopped by its own check.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from dagster import (
    AssetMaterialization,
    DagsterInstance,
    EnvVar,
    build_run_status_sensor_context,
    build_sensor_context,
    instance_for_test,
)

from shopping_assets.defs.alerts.freshness import MONITORED, PARTITIONED, freshness_sensor, incidents
from shopping_assets.defs.alerts.notifiers import Alerts, DeliveryError, EmailNotifier, SlackWebhookNotifier, deliver
from shopping_assets.defs.alerts.run_failure_sensor import headline, run_failure_alerts
from shopping_assets.embedded.services import free_port
from shopping_assets.settings import AlertSettings, Settings, SettingsError

ALERT_VARS = (
    "SHOPPING_ALERT_SMTP_HOST",
    "SHOPPING_ALERT_SMTP_PORT",
    "SHOPPING_ALERT_EMAIL_FROM",
    "SHOPPING_ALERT_EMAIL_TO",
    "SHOPPING_ALERT_SMTP_USER",
    "SHOPPING_ALERT_SMTP_PASSWORD",
    "SHOPPING_ALERT_SMTP_STARTTLS",
    "SHOPPING_ALERT_SLACK_WEBHOOK_URL",
    "SHOPPING_FRESHNESS_DEADLINE_CRON",
    "SHOPPING_FRESHNESS_LOWER_BOUND_HOURS",
    "SHOPPING_UI_URL",
)
MONDAY = datetime(2030, 3, 11, tzinfo=UTC)  # a Monday to come: every instant below is frozen


# --------------------------------------------------------------------------- receivers


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted for delivery"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ALERT_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def smtp(clean_env: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1; the alert variables point at it."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    clean_env.setenv("SHOPPING_ALERT_SMTP_HOST", "127.0.0.1")
    clean_env.setenv("SHOPPING_ALERT_SMTP_PORT", str(port))
    clean_env.setenv("SHOPPING_ALERT_EMAIL_FROM", "pipeline@example.com")
    clean_env.setenv("SHOPPING_ALERT_EMAIL_TO", "data@example.com, oncall@example.com")
    yield inbox
    controller.stop()


class Webhook:
    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.status = 200


@pytest.fixture
def slack(clean_env: pytest.MonkeyPatch) -> Iterator[Webhook]:
    """A local HTTP receiver standing in for a Slack incoming webhook."""
    hook = Webhook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            assert self.headers["Content-Type"] == "application/json"
            hook.posts.append(json.loads(body))
            self.send_response(hook.status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    clean_env.setenv("SHOPPING_ALERT_SLACK_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/services/T0/B0/s3cr3t")
    yield hook
    server.shutdown()
    server.server_close()


# --------------------------------------------------------------------------- the rule


def test_an_incident_starts_on_warn_or_fail_from_either_judge_and_ends_when_both_pass():
    assert incidents({"a": {"policy": "FAIL"}, "b": {"policy": "PASS"}}, set()) == (["a"], [])
    assert incidents({"a": {"policy": "FAIL"}}, {"a"}) == ([], [])  # still stale: silent
    assert incidents({"a": {"policy": "PASS", "latest_month": "FAIL"}}, {"a"}) == ([], [])
    assert incidents({"a": {"policy": "PASS", "latest_month": "PASS"}}, {"a"}) == ([], ["a"])
    assert incidents({"a": {"policy": "WARN"}}, set()) == (["a"], [])
    # never materialized (UNKNOWN) judges nothing, and keeps an open incident open
    assert incidents({"a": {"policy": "UNKNOWN"}}, set()) == ([], [])
    assert incidents({"a": {"policy": "UNKNOWN"}}, {"a"}) == ([], ["a"])


def test_the_policy_is_the_weekly_deadline_on_what_consumers_read(clean_env):
    from shopping_assets.definitions import build_definitions

    settings = Settings.from_env()
    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        policy = graph.get(key).freshness_policy
        if key.to_user_string() in MONITORED:
            assert (policy.deadline_cron, policy.lower_bound_delta, policy.timezone) == (
                "0 12 * * 1",
                timedelta(hours=6),
                "UTC",
            )
        else:
            assert policy is None, key
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys if k.name == "freshness_check"}
    assert checks == {(name, "freshness_check") for name in PARTITIONED}
    assert defs.resolve_sensor_def("latest_month_freshness").default_status.value == "RUNNING"
    assert "purchase_counts_snapshot" in MONITORED and "purchase_counts_snapshot" in PARTITIONED
    clean_env.setenv("SHOPPING_FRESHNESS_LOWER_BOUND_HOURS", "none")
    with pytest.raises(SettingsError, match="SHOPPING_FRESHNESS_LOWER_BOUND_HOURS"):
        Settings.from_env()


# --------------------------------------------------------------------------- notifiers


def test_nothing_configured_means_the_alert_is_only_logged(clean_env, caplog):
    alerts = Alerts.from_settings(AlertSettings.from_env())
    assert alerts.notifiers() == []
    with caplog.at_level(logging.WARNING):
        alerts.deliver("Stale data: transaction_items", "body", logging.getLogger("shopping-test"))
    assert "ALERT [shopping-patterns] Stale data: transaction_items" in caplog.text


def test_incomplete_email_settings_name_the_missing_variable(clean_env):
    clean_env.setenv("SHOPPING_ALERT_SMTP_HOST", "mail.example.com")
    with pytest.raises(SettingsError, match="SHOPPING_ALERT_EMAIL_TO"):
        AlertSettings.from_env()
    clean_env.setenv("SHOPPING_ALERT_EMAIL_TO", "a@example.com")
    clean_env.setenv("SHOPPING_ALERT_SMTP_USER", "bot")
    with pytest.raises(SettingsError, match="SHOPPING_ALERT_SMTP_PASSWORD"):
        AlertSettings.from_env()
    clean_env.setenv("SHOPPING_ALERT_SMTP_PASSWORD", "hunter2")
    clean_env.setenv("SHOPPING_ALERT_SMTP_STARTTLS", "true")
    settings = AlertSettings.from_env()
    assert (settings.smtp_port, settings.smtp_starttls, settings.email_to) == (587, True, ("a@example.com",))
    assert "hunter2" not in repr(settings)
    alerts = Alerts.from_settings(settings)
    assert alerts.smtp_password == EnvVar("SHOPPING_ALERT_SMTP_PASSWORD")  # resolved when a sensor runs
    assert "hunter2" not in repr(alerts)


def test_secrets_stay_out_of_reprs_and_errors(clean_env):
    """A rejected login and a failing webhook: neither message quotes the password or the URL."""
    port = free_port()

    def reject(server, session, envelope, mechanism, auth_data: LoginPassword) -> AuthResult:
        return AuthResult(success=False, handled=False)

    controller = Controller(Inbox(), hostname="127.0.0.1", port=port, authenticator=reject, auth_require_tls=False)
    controller.start()
    try:
        email = EmailNotifier("127.0.0.1", port, "a@example.com", ("b@example.com",), user="bot", password="hunter2")
        hook = SlackWebhookNotifier(f"http://127.0.0.1:{free_port()}/services/s3cr3t")  # nobody listens
        with pytest.raises(DeliveryError) as raised:
            deliver([email, hook], "subject", "body", logging.getLogger("test"))
    finally:
        controller.stop()
    message = str(raised.value)
    assert "email: SMTPAuthenticationError" in message and "slack:" in message
    assert "hunter2" not in message and "s3cr3t" not in message
    assert "hunter2" not in repr(email) and "s3cr3t" not in repr(hook)
    resolved = Alerts(smtp_host="x", smtp_password="hunter2", slack_webhook_url="http://x/s3cr3t")
    assert "hunter2" not in repr(resolved) and "s3cr3t" not in repr(resolved)


# --------------------------------------------------------------------------- the sensors


class Daemon:
    """Dagster's freshness daemon, evaluating the project's code location at chosen instants."""

    def __init__(self, instance):
        from dagster._core.remote_origin import InProcessCodeLocationOrigin
        from dagster._core.test_utils import InProcessTestWorkspaceLoadTarget
        from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
        from dagster._core.workspace.context import WorkspaceProcessContext

        origin = InProcessCodeLocationOrigin(
            LoadableTargetOrigin(module_name="shopping_assets.definitions", attribute="defs"),
            location_name="shopping_assets",
        )
        self.context = WorkspaceProcessContext(instance, InProcessTestWorkspaceLoadTarget(origin))

    def evaluate(self, at: datetime) -> None:
        import asyncio

        from dagster._core.test_utils import freeze_time
        from dagster._daemon.freshness import FreshnessDaemon

        with freeze_time(at):
            asyncio.run(FreshnessDaemon()._evaluate_assets(workspace_process_context=self.context))

    def close(self) -> None:
        self.context.__exit__(None, None, None)


def _materialize(instance: DagsterInstance, at: datetime, names=MONITORED) -> None:
    from dagster._core.test_utils import freeze_time

    with freeze_time(at):
        for name in names:
            partition = "2030-03-01" if name in PARTITIONED else None
            instance.report_runless_asset_event(AssetMaterialization(name, partition=partition))


def _tick(instance: DagsterInstance, cursor: str | None, alerts: Alerts) -> str:
    sensor = freshness_sensor(Settings.from_env())
    with build_sensor_context(instance=instance, cursor=cursor, resources={"alerts": alerts}) as context:
        return sensor(context).cursor


def _alerts(**changes) -> Alerts:
    """The resource the settings give, its secrets as Dagster resolves them when a sensor runs."""
    settings = replace(AlertSettings.from_env(), **changes)
    return Alerts(
        ui_url=settings.ui_url,
        smtp_host=settings.smtp_host,
        smtp_port=settings.smtp_port,
        smtp_starttls=settings.smtp_starttls,
        smtp_user=settings.smtp_user,
        smtp_password=os.environ.get("SHOPPING_ALERT_SMTP_PASSWORD"),
        email_from=settings.email_from,
        email_to=list(settings.email_to),
        slack_webhook_url=os.environ.get("SHOPPING_ALERT_SLACK_WEBHOOK_URL"),
    )


def test_stale_data_is_alerted_once_per_incident_as_the_daemon_judges_it(smtp: Inbox, slack: Webhook):
    alerts = _alerts()
    with instance_for_test() as instance:
        daemon = Daemon(instance)
        try:
            # the weekly run at 06:30: by the 12:00 deadline every monitored asset is fresh
            _materialize(instance, MONDAY + timedelta(hours=6, minutes=30))
            daemon.evaluate(MONDAY + timedelta(hours=13))
            cursor = _tick(instance, None, alerts)
            assert smtp.messages == [] and slack.posts == []

            # the next Monday's run never came: the daemon says FAIL, one alert however many ticks
            daemon.evaluate(MONDAY + timedelta(days=7, hours=13))
            cursor = _tick(instance, cursor, alerts)
            cursor = _tick(instance, cursor, alerts)
            assert len(smtp.messages) == 1 and len(slack.posts) == 1
            mail = smtp.messages[0]
            assert mail["Subject"] == "[shopping-patterns] Stale data: " + ", ".join(sorted(MONITORED))
            body = mail.get_content()
            assert "transaction_items: freshness policy FAIL (http://127.0.0.1:3000/assets/transaction_items)" in body
            assert (mail["From"], mail["To"]) == ("pipeline@example.com", "data@example.com, oncall@example.com")
            assert json.loads(cursor)["alerted"] == sorted(MONITORED)

            # the late run: PASS again at the next evaluation, one recovery message
            _materialize(instance, MONDAY + timedelta(days=7, hours=14))
            daemon.evaluate(MONDAY + timedelta(days=7, hours=14, minutes=1))
            cursor = _tick(instance, cursor, alerts)
            cursor = _tick(instance, cursor, alerts)
            assert len(smtp.messages) == 2 and smtp.messages[1]["Subject"].startswith("[shopping-patterns] Fresh again")
            assert json.loads(cursor)["alerted"] == []
            assert ["Stale data" in p["text"] for p in slack.posts] == [True, False]
        finally:
            daemon.close()


def test_a_latest_month_that_fails_its_check_is_an_incident_too(smtp: Inbox):
    """Backfilling an old month keeps the policy PASS; the latest month's own check says FAIL."""
    from dagster import AssetCheckKey, AssetKey, AssetSelection, define_asset_job

    from shopping_assets.definitions import build_definitions

    defs = build_definitions(Settings.from_env())
    check = AssetCheckKey(AssetKey("transaction_items"), "freshness_check")
    checks_job = define_asset_job("latest_month", selection=AssetSelection.checks(check))
    resolved = type(defs).merge(defs, type(defs)(jobs=[checks_job])).resolve_job_def("latest_month")
    alerts = _alerts()
    with instance_for_test() as instance:
        instance.report_runless_asset_event(AssetMaterialization("transaction_items", partition="2015-01-01"))
        (evaluation,) = resolved.execute_in_process(instance=instance).get_asset_check_evaluations()
        assert not evaluation.passed
        cursor = _tick(instance, None, alerts)
        assert len(smtp.messages) == 1 and "transaction_items: latest month FAIL" in smtp.messages[0].get_content()
        assert json.loads(cursor)["signals"]["transaction_items"] == {"latest_month": "FAIL"}


def test_an_undelivered_alert_is_retried_on_the_next_tick(smtp: Inbox):
    with instance_for_test() as instance:
        daemon = Daemon(instance)
        try:
            _materialize(instance, MONDAY + timedelta(hours=7), names=["purchase_counts"])
            daemon.evaluate(MONDAY + timedelta(days=7, hours=13))
        finally:
            daemon.close()
        nobody = _alerts(smtp_port=free_port())  # nobody listens there
        cursor = _tick(instance, None, nobody)
        assert json.loads(cursor)["alerted"] == [] and smtp.messages == []
        cursor = _tick(instance, cursor, _alerts())
        assert json.loads(cursor)["alerted"] == ["purchase_counts"]
        assert len(smtp.messages) == 1 and "purchase_counts" in smtp.messages[0]["Subject"]


def test_a_month_that_fails_its_checks_alerts_with_job_run_partition_and_the_failed_check(
    smtp: Inbox, slack: Webhook, make_pipeline, tmp_path
):
    """A month whose file is mostly garbage stops at quarantine_rate; the alert says which check stopped it."""
    from shopping_assets_tests.test_data_quality import good, write_folder

    lines = [good(), "not json", '{"customer_id": ', "null"]
    pipeline = make_pipeline(write_folder(tmp_path / "in", {"2025-03-04": "\n".join(lines).encode()}))
    with instance_for_test() as instance:
        defs = pipeline.definitions()
        defs.resolve_job_def("reference_job").execute_in_process(instance=instance)
        result = defs.resolve_job_def("transactions_job").execute_in_process(
            instance=instance, partition_key="2025-03-01", raise_on_error=False
        )
        assert not result.success
        context = build_run_status_sensor_context(
            sensor_name="run_failure_alerts",
            dagster_event=result.get_run_failure_event(),
            dagster_instance=instance,
            dagster_run=result.dagster_run,
        ).for_run_failure()
        run_failure_alerts(context, alerts=_alerts())
    (mail,) = smtp.messages
    body = mail.get_content()
    assert "transactions_job" in mail["Subject"] and "2025-03-01" in mail["Subject"]
    assert f"run id: {result.run_id}" in body and "partition: 2025-03-01" in body
    assert f"run: http://127.0.0.1:3000/runs/{result.run_id}" in body
    assert body.rstrip().endswith(
        "error: DagsterAssetCheckFailedError: 1 blocking asset check failed with ERROR severity: "
        "transaction_items: quarantine_rate"
    )
    assert slack.posts[0]["text"].startswith("*[shopping-patterns] Run failed: transactions_job")
    assert "transaction_items: quarantine_rate" in slack.posts[0]["text"]


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("COPY INTO failed: file not found\nsecond line of detail", "COPY INTO failed: file not found"),
        (
            "2 blocking asset checks failed with ERROR severity:\na: x,y\nb: z\nc: w\nd: v",
            "2 blocking asset checks failed with ERROR severity: a: x,y b: z c: w",
        ),
        (
            "botocore.exceptions.EndpointConnectionError: Could not connect",
            "EndpointConnectionError: Could not connect",
        ),
        ("  \n", "no error message"),
    ],
)
def test_the_alert_shows_an_errors_first_line_and_what_a_colon_introduces(message: str, shown: str):
    assert headline(message) == shown
