"""Where alerts go: e-mail over SMTP and/or a Slack incoming webhook, configured by environment.

With nothing configured, `notifiers_from_env()` is empty and alerts are only
logged (in the sensor's tick logs). Secrets (the SMTP password, the webhook URL,
which is itself a credential) are kept out of reprs, logs and error messages.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import ssl
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol

from shopping_assets.settings import SettingsError

_TIMEOUT_S = 10  # a hung mail server must not hold the sensor's tick for long
_TRUE = {"1", "true", "yes", "on"}


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
        with smtplib.SMTP(self.host, self.port, timeout=_TIMEOUT_S) as smtp:
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
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:  # noqa: S310 (https/http only, checked)
            if not 200 <= response.status < 300:
                raise RuntimeError(f"webhook answered HTTP {response.status}")


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


def email_from_env() -> EmailNotifier | None:
    host = _env("SHOPPING_ALERT_SMTP_HOST")
    if not host:
        return None
    recipients = tuple(a.strip() for a in _env("SHOPPING_ALERT_EMAIL_TO").split(",") if a.strip())
    if not recipients:
        raise SettingsError("SHOPPING_ALERT_SMTP_HOST is set but SHOPPING_ALERT_EMAIL_TO (comma separated) is empty")
    starttls = _env("SHOPPING_ALERT_SMTP_STARTTLS").lower() in _TRUE
    raw_port = _env("SHOPPING_ALERT_SMTP_PORT") or ("587" if starttls else "25")
    if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
        raise SettingsError(f"SHOPPING_ALERT_SMTP_PORT={raw_port!r} is not a TCP port")
    user = _env("SHOPPING_ALERT_SMTP_USER") or None
    password = os.environ.get("SHOPPING_ALERT_SMTP_PASSWORD") or None
    if user and not password:
        raise SettingsError("SHOPPING_ALERT_SMTP_USER is set but SHOPPING_ALERT_SMTP_PASSWORD is empty")
    return EmailNotifier(
        host=host,
        port=int(raw_port),
        sender=_env("SHOPPING_ALERT_EMAIL_FROM") or "shopping-pipeline@localhost",
        recipients=recipients,
        starttls=starttls,
        user=user,
        password=password,
    )


def slack_from_env() -> SlackWebhookNotifier | None:
    url = _env("SHOPPING_ALERT_SLACK_WEBHOOK_URL")
    if not url:
        return None
    if not url.startswith(("https://", "http://")):
        # Do not echo the value: it is a credential.
        raise SettingsError("SHOPPING_ALERT_SLACK_WEBHOOK_URL must be an http(s) URL")
    return SlackWebhookNotifier(url)


def notifiers_from_env() -> list[Notifier]:
    """The configured notifiers; read on every tick so a fixed environment needs no code reload."""
    return [n for n in (email_from_env(), slack_from_env()) if n is not None]


def _redacted(notifier: Notifier, exc: Exception) -> str:
    """The error's type and text with the notifier's secrets masked (defence in depth:
    smtplib and urllib do not normally quote the password or the URL)."""
    text = f"{type(exc).__name__}: {exc}"
    for secret in (getattr(notifier, "password", None), getattr(notifier, "url", None)):
        if secret:
            text = text.replace(secret, "***")
    return text


def deliver(notifiers: Sequence[Notifier], subject: str, body: str, log: logging.Logger) -> None:
    """Log the alert, then send it through every notifier.

    Raises DeliveryError only when notifiers are configured and none delivered,
    so the caller can retry (freshness) or surface the error (run failures).
    One working channel is enough: retrying would duplicate what it delivered.
    """
    log.warning(f"ALERT {subject}\n{body}")
    failures = []
    for notifier in notifiers:
        try:
            notifier.send(subject, body)
        except Exception as exc:  # noqa: BLE001 - one channel failing must not stop the others
            failures.append(f"{notifier.name}: {_redacted(notifier, exc)}")
            log.error(f"alert not delivered by {failures[-1]}")
    if notifiers and len(failures) == len(notifiers):
        raise DeliveryError("no notifier delivered the alert (" + "; ".join(failures) + ")")
