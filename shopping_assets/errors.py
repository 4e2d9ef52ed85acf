"""Errors whose message is the whole story for the user: the CLI prints them without a traceback."""


class UserFacingError(Exception):
    """Bad configuration, a missing input, a service that is down: the message names what and where."""


class ServiceCallError(UserFacingError, RuntimeError):
    """A call to S3 or Snowflake failed after its retries; the message names the service, where and what."""
