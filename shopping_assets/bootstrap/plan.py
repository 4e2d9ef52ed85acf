"""The bootstrap plan: every AWS call and Snowflake statement, in the order they must run.

Order matters once: the IAM role's trust policy names the storage integration's IAM
user and external ID, which Snowflake makes up when the integration is created. So:
bucket -> (account id) -> Snowflake objects and integration -> DESC INTEGRATION ->
IAM role and its policy -> Snowflake roles, grants and service users.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from shopping_assets.bootstrap import aws_steps as aws
from shopping_assets.bootstrap import snowflake_steps as snowflake
from shopping_assets.bootstrap.config import BootstrapConfig
from shopping_assets.bootstrap.steps import AwsStep, BootstrapError, SqlStep, Step, describe, walk


def build(config: BootstrapConfig) -> list[Step]:
    steps: list[Step] = [*aws.bucket_steps(config)]
    if config.aws_account_id is None:
        steps.append(aws.account_step())
    steps += snowflake.object_steps(config)
    steps += aws.iam_steps(config)
    steps += snowflake.access_steps(config)
    return steps


def initial_context(config: BootstrapConfig) -> dict[str, Any]:
    return {"aws_account_id": config.aws_account_id} if config.aws_account_id else {}


def _indent(text: str, by: str = "    ") -> str:
    return "\n".join(by + line for line in text.splitlines())


def format_step(number: int, step: Step, context: dict[str, Any]) -> str:
    lines = [f"[{number:>2}] {step.title()}: {step.purpose}"]
    if isinstance(step, AwsStep):
        lines.append(_indent(json.dumps(describe(step.params, context), indent=2)))
        if step.ok_errors:
            lines.append(f"    ({', '.join(step.ok_errors)} counts as done)")
        if step.fallback:
            fallback = step.fallback
            lines.append(f"    on {', '.join(step.fallback_on)}: aws {fallback.service}.{fallback.operation}")
            lines.append(_indent(json.dumps(describe(fallback.params, context), indent=2)))
    else:
        lines.append(step.sql + ";")
        if step.params:
            values = ", ".join(f"{k} = {describe(v, context)!r}" for k, v in step.params.items())
            lines.append(f"    -- values (bound): {values}")
    if step.outputs:
        lines.append(f"    reads back: {', '.join(step.outputs.values())}")
    return "\n".join(lines)


def format_plan(steps: list[Step], context: dict[str, Any]) -> str:
    return "\n\n".join(format_step(n, step, context) for n, step in enumerate(steps, 1))


def preflight(steps: Iterable[Step]) -> None:
    """Everything that can be checked before the first call (public key files, mostly)."""
    for step in steps:
        for value in walk(step.params):
            if hasattr(value, "check"):
                value.check()


def apply(
    steps: list[Step],
    *,
    aws_executor: aws.AwsExecutor | None,
    snowflake_executor: snowflake.SnowflakeExecutor | None,
    context: dict[str, Any] | None = None,
    echo: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Run every step in order; return the values read back (account id, hand-shake)."""
    context = dict(context or {})
    preflight(steps)  # public key files are checked before anything is created
    for number, step in enumerate(steps, 1):
        echo(f"[{number:>2}] {step.title()}: {step.purpose}")
        executor = aws_executor if isinstance(step, AwsStep) else snowflake_executor
        if executor is None:
            raise BootstrapError(f"step {number} ({step.title()}) has nobody to run it")
        outcome, outputs = executor.run(step, context)
        context.update(outputs)
        echo(f"     {outcome}" + "".join(f"\n     {SHOWN.get(k, k)} = {v}" for k, v in outputs.items()))
    return context


SHOWN = {
    "aws_account_id": "AWS account",
    **{key: name for key, name in snowflake.HANDSHAKE.items()},
}


def sql_steps(steps: Iterable[Step]) -> list[SqlStep]:
    return [s for s in steps if isinstance(s, SqlStep)]


def aws_steps(steps: Iterable[Step]) -> list[AwsStep]:
    return [s for s in steps if isinstance(s, AwsStep)]
