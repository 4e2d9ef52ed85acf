"""Alerting: notifiers (e-mail, Slack), the freshness rule, and the sensors that use them."""
