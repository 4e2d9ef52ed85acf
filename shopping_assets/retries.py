"""How a step that talks to S3 or Snowflake recovers from a flaky service.

Inside a step, botocore retries each S3 request (standard mode, 5 attempts) and the
Snowflake connector retries each HTTP request. What they cannot absorb (the
service down for longer, a dropped warehouse session, another run holding the load
lock on the emulator) fails the step, and this policy runs the whole step again:
every step replaces exactly its partition, so running it again is always safe.
Bad input is not retried: InputLayoutError is a Failure with allow_retries=False.
"""

from __future__ import annotations

from dagster import Backoff, Jitter, RetryPolicy

from shopping_assets.settings import seconds, whole_number

SERVICE_RETRY = RetryPolicy(
    max_retries=whole_number("SHOPPING_STEP_RETRIES", 3, minimum=0),
    delay=seconds("SHOPPING_STEP_RETRY_DELAY", 2),
    backoff=Backoff.EXPONENTIAL,
    jitter=Jitter.PLUS_MINUS,
)
