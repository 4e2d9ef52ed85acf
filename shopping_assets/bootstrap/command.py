"""`shopping-pipeline bootstrap [--dry-run | --audit]`: create the production bucket, IAM role and Snowflake objects.

Plan, then apply. `--dry-run` prints every AWS call (with its JSON parameters) and
every Snowflake statement, and calls nothing: it needs no credentials and no network.
`--audit` checks, as offline, that the roles the plan grants may run every statement
the pipeline and its readers run afterwards (exit 0 only when they may). Without
either, the plan runs in order; every step is idempotent, so a failed run is
finished by running it again.
"""

from __future__ import annotations

import argparse
import sys

from shopping_assets.bootstrap import plan
from shopping_assets.bootstrap.aws_steps import AwsExecutor
from shopping_assets.bootstrap.config import BootstrapConfig
from shopping_assets.bootstrap.snowflake_steps import SnowflakeExecutor, connect_from_env
from shopping_assets.bootstrap.steps import BootstrapError, redact
from shopping_assets.settings import environment


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--dry-run",
        action="store_true",
        help="print every AWS call and Snowflake statement without making any (no credentials needed)",
    )
    mode.add_argument(
        "--audit",
        action="store_true",
        help="check offline that the granted roles may run every run-time statement; exit 1 if not",
    )


def _print(text: str) -> None:
    print(redact(text, dict(environment())), flush=True)


def run_from_args(args: argparse.Namespace) -> int:
    config = BootstrapConfig.from_env()
    if args.audit:
        from shopping_assets.bootstrap import audit

        lines = list(audit.report(config))
        for line in lines:
            _print(line)
        return 0 if len(lines) == 1 else 1
    steps = plan.build(config)
    context = plan.initial_context(config)
    _print(
        f"bootstrap: s3://{config.bucket}/{config.prefix} in {config.region}, IAM role {config.iam_role_name}, "
        f"Snowflake database {config.database}, warehouse {config.warehouse}: {len(steps)} steps"
    )
    if args.dry_run:
        _print("dry run: nothing is called; values that applying reads back are shown as <...>\n")
        _print(plan.format_plan(steps, context))
        return 0

    if config.settings.local:
        raise BootstrapError(
            "bootstrap creates production resources in AWS and Snowflake: set SHOPPING_DEPLOYMENT=prod "
            "(or add --dry-run to see the plan)"
        )
    snowflake_executor = SnowflakeExecutor(lambda: connect_from_env(config))
    try:
        plan.apply(
            steps,
            aws_executor=AwsExecutor(config.region),
            snowflake_executor=snowflake_executor,
            context=context,
            echo=_print,
        )
    finally:
        snowflake_executor.close()
    _print(
        "bootstrap: done. IAM trust changes can take a minute to reach Snowflake; then run "
        "`SHOPPING_DEPLOYMENT=prod shopping-pipeline run --input-dir DIR` as the pipeline's service user."
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m shopping_assets.bootstrap.command`: bootstrap without the rest of the command line."""
    from shopping_assets.errors import UserFacingError

    parser = argparse.ArgumentParser(prog="shopping-pipeline bootstrap")
    add_arguments(parser)
    try:
        return run_from_args(parser.parse_args(argv))
    except UserFacingError as error:
        print(f"shopping-pipeline bootstrap: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
