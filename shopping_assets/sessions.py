"""What every pipeline session sets, and how a session reaches the emulator.

Apart from the resources so that the embedded bootstrap (`services start`) connects
without importing Dagster and the Snowflake libraries it builds on.
"""

from __future__ import annotations

from shopping_assets.settings import Settings

# Each login would otherwise probe cloud metadata endpoints and AWS STS from threads, for the
# connector's platform telemetry; 0 turns that off (the connector's documented switch).
LOGIN_OPTIONS = {"platform_detection_timeout_seconds": 0.0}


def session_parameters(settings: Settings) -> dict[str, object]:
    """What every pipeline session sets: a bounded lock wait instead of Snowflake's 12 hours,
    and a query tag that finds the pipeline's statements in QUERY_HISTORY."""
    return {"LOCK_TIMEOUT": settings.lock_timeout, "QUERY_TAG": "shopping-pipeline"}


def emulator_connection_args(settings: Settings) -> dict[str, object]:
    """Where the embedded emulator listens; it accepts any credentials, so these are not secrets."""
    return {
        "account": "embedded",
        "user": "shopping",
        "password": "embedded",
        "host": "127.0.0.1",
        "port": settings.snowflake_port,
        "protocol": "http",
        **LOGIN_OPTIONS,
        "session_parameters": {**session_parameters(settings), "CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
    }
