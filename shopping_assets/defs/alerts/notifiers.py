"""Where alerts go: e-mail over SMTP and/or a Slack incoming webhook, as one resource.

`Alerts` is configured from the settings; its two secrets (the SMTP password and the
webhook URL, which is itself a credential) are Dagster `EnvVar`s, resolved only when
a sensor runs, and kept out of reprs, logs and error messages. With nothing
configured, an alert is only logged (in the sensor's tick log).
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from shopping_assets.settings import AlertSettings

TIMEOUT_S = 10  # a hung mail server must not hold the sensor's tick for long
SUBJECT_PREFIX = "[shopping-patterns]"


class Notifier(Protocol):
    name: str

    def send(self, subject: str, body: str) -> None:
        """Deliver one alert or raise."""


class DeliveryError(RuntimeError):
    """Every configured notifier failed; the message names them, never their secrets."""


@dataclass(frozen=True)
class EmailNotifier:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    starttls: bool = False
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    name: str = "email"

    def send(self, subject: str, body: str) -> None:
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_S) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)


@dataclass(frozen=True)
class SlackWebhookNotifier:
    url: str = field(repr=False)
    name: str = "slack"

    def send(self, subject: str, body: str) -> None:
        # Slack incoming-webhook format: {"text": ...} with mrkdwn; any 2xx is accepted.
        payload = json.dumps({"text": f"*{subject}*\n{body}"}).encode()
        request = urllib.request.Request(
            self.url, data=payload, method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            if not 200 <= response.status < 300:
                raise RuntimeError(f"webhook answered HTTP {response.status}")


class Alerts(ConfigurableResource):
    """The configured channels, and the UI's address for the links in every alert."""

    ui_url: str = "http://127.0.0.1:3000"
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: str | None = Field(default=None, repr=False)
    email_from: str = "shopping-pipeline@localhost"
    email_to: list[str] = Field(default_factory=list)
    slack_webhook_url: str | None = Field(default=None, repr=False)

    @classmethod
    def from_settings(cls, alerts: AlertSettings) -> Alerts:
        return cls(
            ui_url=alerts.ui_url,
            smtp_host=alerts.smtp_host,
            smtp_port=alerts.smtp_port,
            smtp_starttls=alerts.smtp_starttls,
            smtp_user=alerts.smtp_user,
            smtp_password=EnvVar("SHOPPING_ALERT_SMTP_PASSWORD") if alerts.smtp_password_set else None,
            email_from=alerts.email_from,
            email_to=list(alerts.email_to),
            slack_webhook_url=EnvVar("SHOPPING_ALERT_SLACK_WEBHOOK_URL") if alerts.slack_webhook_set else None,
        )

    def notifiers(self) -> list[Notifier]:
        found: list[Notifier] = []
        if self.smtp_host:
            found.append(
                EmailNotifier(
                    host=self.smtp_host,
                    port=self.smtp_port,
                    sender=self.email_from,
                    recipients=tuple(self.email_to),
                    starttls=self.smtp_starttls,
                    user=self.smtp_user or None,
                    password=self.smtp_password,
                )
            )
        if self.slack_webhook_url:
            found.append(SlackWebhookNotifier(self.slack_webhook_url))
        return found

    def link(self, path: str) -> str:
        """An address in the UI, e.g. link("runs/<id>") or link("assets/transaction_items")."""
        return f"{self.ui_url}/{path}"

    def deliver(self, subject: str, body: str, log: logging.Logger) -> None:
        deliver(self.notifiers(), f"{SUBJECT_PREFIX} {subject}", body, log)


def _redacted(notifier: Notifier, exc: Exception) -> str:
    """The error's type and text with the notifier's secrets masked (defence in depth:
    smtplib and urllib do not normally quote the password or the URL)."""
    text = f"{type(exc).__name__}: {exc}"
    for secret in (getattr(notifier, "password", None), getattr(notifier, "url", None)):
        if secret:
            text = text.replace(secret, "***")
    return text


def deliver(notifiers: list[Notifier], subject: str, body: str, log: logging.Logger) -> None:
    """Log the alert, then send it through every notifier.

    Raises DeliveryError only when notifiers are configured and none delivered, so
    the caller can retry (freshness) or surface the error (run failures). One
    working channel is enough: retrying would duplicate what it delivered.
    """
    log.warning(f"ALERT {subject}\n{body}")
    failures = []
    for notifier in notifiers:
        try:
            notifier.send(subject, body)
        except Exception as exc:
            failures.append(f"{notifier.name}: {_redacted(notifier, exc)}")
            log.error(f"alert not delivered by {failures[-1]}")
    if notifiers and len(failures) == len(notifiers):
        raise DeliveryError("no notifier delivered the alert (" + "; ".join(failures) + ")")
