"""Alerts are really delivered: a local SMTP server and a local Slack-style webhook receive them.

Staleness is read from a temporary Dagster instance where the tests report
materializations; Dagster stamps events with the real time, so the sensor gets a
settable clock instead. The failed run is a real month of the pipeline, on the
embedded services, stopped by its own check.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from dagster import (
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    Definitions,
    asset,
    build_run_status_sensor_context,
    build_sensor_context,
    instance_for_test,
)

from shopping_assets.alerts.freshness import MONITORED, evaluate, freshness_windows, with_freshness
from shopping_assets.alerts.notifiers import (
    DeliveryError,
    EmailNotifier,
    SlackWebhookNotifier,
    deliver,
    notifiers_from_env,
)
from shopping_assets.alerts.sensors import build_freshness_sensor, headline, run_failure_alerts
from shopping_assets.embedded.services import free_port
from shopping_assets.settings import SettingsError

ALERT_VARS = (
    "SHOPPING_ALERT_SMTP_HOST",
    "SHOPPING_ALERT_SMTP_PORT",
    "SHOPPING_ALERT_EMAIL_FROM",
    "SHOPPING_ALERT_EMAIL_TO",
    "SHOPPING_ALERT_SMTP_USER",
    "SHOPPING_ALERT_SMTP_PASSWORD",
    "SHOPPING_ALERT_SMTP_STARTTLS",
    "SHOPPING_ALERT_SLACK_WEBHOOK_URL",
    "SHOPPING_FRESHNESS_HOURS",
)
DAY = timedelta(days=1)
T0 = datetime(2025, 3, 10, 6, tzinfo=timezone.utc)


# --------------------------------------------------------------------------- receivers


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
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
        def do_POST(self) -> None:  # noqa: N802
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


def test_an_incident_alerts_once_and_recovers_once():
    windows = {"a": 8 * DAY, "b": 8 * DAY}
    last = {"a": T0 - 9 * DAY, "b": T0 - DAY}
    assert evaluate(T0, last, windows, set()) == (["a"], [], {"a"})
    assert evaluate(T0, last, windows, {"a"}) == ([], [], {"a"})  # still stale: silent
    last["a"] = T0 - timedelta(hours=1)
    assert evaluate(T0, last, windows, {"a"}) == ([], ["a"], set())
    assert evaluate(T0 + 9 * DAY, last, windows, set()) == (["a", "b"], [], {"a", "b"})


def test_exactly_at_the_window_is_fresh_and_never_materialized_is_not_judged():
    windows = {"a": 8 * DAY, "b": 8 * DAY}
    assert evaluate(T0, {"a": T0 - 8 * DAY, "b": None}, windows, set()) == ([], [], set())
    # An open incident on an asset whose history is gone stays open rather than "recovering".
    assert evaluate(T0, {"a": T0, "b": None}, windows, {"b"}) == ([], [], {"b"})
    # An asset no longer monitored leaves the incident set without a message.
    assert evaluate(T0, {"a": T0}, {"a": 8 * DAY}, {"gone"}) == ([], [], set())


def test_windows_default_to_eight_days_and_follow_the_environment(clean_env):
    assert freshness_windows() == {name: 8 * DAY for name in MONITORED}
    clean_env.setenv("SHOPPING_FRESHNESS_HOURS", "36")
    assert set(freshness_windows().values()) == {timedelta(hours=36)}
    clean_env.setenv("SHOPPING_FRESHNESS_HOURS", "soon")
    with pytest.raises(SettingsError, match="SHOPPING_FRESHNESS_HOURS"):
        freshness_windows()


def test_with_freshness_attaches_the_policy_to_the_monitored_assets_only(clean_env):
    @asset
    def transaction_items() -> None: ...

    @asset
    def raw_customers() -> None: ...

    originals = [transaction_items, raw_customers]
    copies = with_freshness(originals)
    graph = Definitions(assets=copies).resolve_asset_graph()
    policy = graph.get(AssetKey("transaction_items")).freshness_policy
    assert (policy.fail_window.to_timedelta(), policy.warn_window.to_timedelta()) == (8 * DAY, 7 * DAY)
    assert graph.get(AssetKey("raw_customers")).freshness_policy is None
    assert transaction_items.specs_by_key[AssetKey("transaction_items")].freshness_policy is None  # a copy


# --------------------------------------------------------------------------- notifiers


def test_nothing_configured_means_the_alert_is_only_logged(clean_env, capfd):
    assert notifiers_from_env() == []
    clock = Clock()
    sensor = build_freshness_sensor(clock)
    with instance_for_test() as instance:
        clock.now = _materialize(instance, "transaction_items", "2025-03-01") + 9 * DAY
        capfd.readouterr()
        cursor = _tick(sensor, instance, None)
    assert json.loads(cursor)["alerted"] == ["transaction_items"]  # logged counts as alerted: no retry spam
    # the sensor's log (Dagster's own handler, so not caplog): once, naming the asset
    assert capfd.readouterr().err.count("ALERT [shopping-patterns] Stale data: transaction_items") == 1


def test_incomplete_email_settings_name_the_missing_variable(clean_env):
    clean_env.setenv("SHOPPING_ALERT_SMTP_HOST", "mail.example.com")
    with pytest.raises(SettingsError, match="SHOPPING_ALERT_EMAIL_TO"):
        notifiers_from_env()
    clean_env.setenv("SHOPPING_ALERT_EMAIL_TO", "a@example.com")
    clean_env.setenv("SHOPPING_ALERT_SMTP_USER", "bot")
    with pytest.raises(SettingsError, match="SHOPPING_ALERT_SMTP_PASSWORD"):
        notifiers_from_env()
    clean_env.setenv("SHOPPING_ALERT_SMTP_PASSWORD", "hunter2")
    clean_env.setenv("SHOPPING_ALERT_SMTP_STARTTLS", "true")
    (email,) = notifiers_from_env()
    assert (email.port, email.starttls, email.recipients) == (587, True, ("a@example.com",))
    assert "hunter2" not in repr(email)


def test_secrets_stay_out_of_reprs_and_errors(clean_env):
    """A rejected login and a failing webhook: neither message quotes the password or the URL."""
    port = free_port()

    def reject(server, session, envelope, mechanism, auth_data: LoginPassword) -> AuthResult:
        return AuthResult(success=False, handled=False)

    controller = Controller(
        Inbox(), hostname="127.0.0.1", port=port, authenticator=reject, auth_require_tls=False
    )
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


# --------------------------------------------------------------------------- the sensors


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now


def _materialize(instance: DagsterInstance, name: str, partition: str | None = None) -> datetime:
    instance.report_runless_asset_event(AssetMaterialization(name, partition=partition))
    event = instance.get_latest_materialization_event(AssetKey(name))
    return datetime.fromtimestamp(event.timestamp, timezone.utc)


def _tick(sensor, instance: DagsterInstance, cursor: str | None) -> str:
    result = sensor(build_sensor_context(instance=instance, cursor=cursor))
    return result.cursor


def test_freshness_sensor_emails_and_posts_once_per_incident(smtp: Inbox, slack: Webhook):
    clock = Clock()
    sensor = build_freshness_sensor(clock)
    with instance_for_test() as instance:

        def materialize_all(partition: str) -> datetime:
            # The view is unpartitioned; for the others any partition counts.
            return max(_materialize(instance, n, None if n == "purchase_counts" else partition) for n in MONITORED)

        loaded = materialize_all("2025-03-01")
        clock.now = loaded + timedelta(hours=1)
        cursor = _tick(sensor, instance, None)
        assert smtp.messages == [] and slack.posts == []  # all fresh

        # Nine days on, nothing new: one alert, however many ticks the incident lasts.
        clock.now = loaded + 9 * DAY
        cursor = _tick(sensor, instance, cursor)
        cursor = _tick(sensor, instance, cursor)
        assert len(smtp.messages) == 1 and len(slack.posts) == 1
        mail = smtp.messages[0]
        assert mail["Subject"] == (
            "[shopping-patterns] Stale data: purchase_counts, raw_transaction_lines, transaction_items"
        )
        assert "transaction_items: last materialized" in mail.get_content()
        assert (mail["From"], mail["To"]) == ("pipeline@example.com", "data@example.com, oncall@example.com")
        assert "transaction_items" in slack.posts[0]["text"]
        assert json.loads(cursor)["alerted"] == sorted(MONITORED)

        # Fresh materializations (another partition) end the incident: one recovery message.
        clock.now = materialize_all("2025-02-01") + timedelta(hours=1)
        cursor = _tick(sensor, instance, cursor)
        cursor = _tick(sensor, instance, cursor)
        assert len(smtp.messages) == 2 and smtp.messages[1]["Subject"].startswith("[shopping-patterns] Fresh again")
        assert json.loads(cursor)["alerted"] == []

        # Stale again: a new incident, a second alert.
        clock.now += 9 * DAY
        cursor = _tick(sensor, instance, cursor)
        cursor = _tick(sensor, instance, cursor)
        subjects = [m["Subject"] for m in smtp.messages]
        assert len(subjects) == 3 and "Stale data" in subjects[2] and "transaction_items" in subjects[2]
        assert ["Stale data" in p["text"] for p in slack.posts] == [True, False, True]


def test_an_undelivered_alert_is_retried_on_the_next_tick(smtp: Inbox, monkeypatch: pytest.MonkeyPatch):
    clock = Clock()
    sensor = build_freshness_sensor(clock)
    with instance_for_test() as instance:
        clock.now = _materialize(instance, "purchase_counts") + 9 * DAY
        port = os.environ["SHOPPING_ALERT_SMTP_PORT"]
        monkeypatch.setenv("SHOPPING_ALERT_SMTP_PORT", str(free_port()))  # nobody listens there
        cursor = _tick(sensor, instance, None)
        assert json.loads(cursor)["alerted"] == [] and smtp.messages == []
        monkeypatch.setenv("SHOPPING_ALERT_SMTP_PORT", port)
        cursor = _tick(sensor, instance, cursor)
        assert json.loads(cursor)["alerted"] == ["purchase_counts"]
        assert len(smtp.messages) == 1 and "purchase_counts" in smtp.messages[0]["Subject"]


def test_a_month_that_fails_its_checks_alerts_with_job_run_partition_and_the_failed_check(
    smtp: Inbox, slack: Webhook, make_pipeline, tmp_path
):
    """A month whose file is mostly garbage stops at quarantine_rate; the alert says which check stopped it."""
    from shopping_assets_tests.test_data_quality import good, write_folder

    lines = [good(), "not json", "{\"customer_id\": ", "null"]
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
        run_failure_alerts(context)
    (mail,) = smtp.messages
    body = mail.get_content()
    assert "transactions_job" in mail["Subject"] and "2025-03-01" in mail["Subject"]
    assert f"run id: {result.run_id}" in body and "partition: 2025-03-01" in body
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
        ("2 blocking asset checks failed with ERROR severity:\na: x,y\nb: z\nc: w\nd: v", "2 blocking asset checks failed with ERROR severity: a: x,y b: z c: w"),
        ("botocore.exceptions.EndpointConnectionError: Could not connect", "EndpointConnectionError: Could not connect"),
        ("  \n", "no error message"),
    ],
)
def test_the_alert_shows_an_errors_first_line_and_what_a_colon_introduces(message: str, shown: str):
    assert headline(message) == shown
