"""How a step that talks to S3 or Snowflake recovers from a flaky service.

Inside a step, botocore retries each S3 request (standard mode) and the Snowflake
connector each HTTP request. What they cannot absorb (the service down for longer, a
dropped warehouse session, another run holding the load lock) fails the step, and
this policy runs the whole step again: every step replaces exactly its partition, so
running it again is always safe. Bad input is not retried: InputLayoutError is a
Failure with allow_retries=False.
"""

from __future__ import annotations

from dagster import Backoff, Jitter, RetryPolicy

from shopping_assets.settings import Settings


def service_retry(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_retries=settings.step_retries,
        delay=settings.step_retry_delay,
        backoff=Backoff.EXPONENTIAL,
        jitter=Jitter.PLUS_MINUS,
    )
