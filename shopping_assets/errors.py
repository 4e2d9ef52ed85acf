"""Errors whose message is the whole story for the user: the CLI prints them without a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class UserFacingError(Exception):
    """Bad configuration, a missing input, a service that is down: the message names what and where."""


class ServiceCallError(UserFacingError, RuntimeError):
    """A call to S3 or Snowflake failed after its retries; the message names the service, where and what."""


class InputLayoutError(UserFacingError, ValueError):
    """An input file is missing, empty or malformed; the message names the file (and line)."""


@contextmanager
def not_retried() -> Iterator[None]:
    """Around a step's reading of its input files: running the step again cannot fix a bad file,
    so an InputLayoutError fails the step for good (a Failure that forbids its RetryPolicy)."""
    from dagster import Failure

    try:
        yield
    except InputLayoutError as error:
        raise Failure(description=str(error), allow_retries=False) from error
