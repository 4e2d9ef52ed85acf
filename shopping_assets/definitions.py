"""The code location: every definition under `defs/`, with the deployment's resources.

dg and the UI load `defs` (pyproject.toml's [tool.dg.project] names this package);
`build_definitions` is the same code location for other settings or input data, as
the CLI, the tests and the benchmarks use it. Steps run in their run's own process
(the in-process executor): a process per step would pay the seconds-long import of
dagster_snowflake again for every step.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from shopping_assets import collector

with collector.long_lived_imports():
    import dagster as dg

    from shopping_assets import defs as defs_package
    from shopping_assets.defs.alerts.freshness import with_freshness
    from shopping_assets.resources import InputData, build_resources
    from shopping_assets.settings import Settings


def build_definitions(
    settings: Settings, input_data: InputData | None = None, component_catalogue: bool = False
) -> dg.Definitions:
    """The code location. `component_catalogue` adds what the UI lists of the installed dg
    component types: the JSON schema of each, most of a load's second, which a run never reads."""
    tree = dg.ComponentTree.from_module(defs_package, project_root=Path(defs_package.__file__).parents[2])
    # dg's own loader calls a function Dagster marks as preview; backfill policies and code
    # references are betas, partitioned checks a preview: chosen, so not warned about
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=dg.PreviewWarning)
        warnings.simplefilter("ignore", category=dg.BetaWarning)
        loaded = tree.build_defs() if component_catalogue else tree.build_defs(tree.defs_module_path)
    resources = dg.Definitions(resources=build_resources(settings, input_data), executor=dg.in_process_executor)
    return with_freshness(dg.Definitions.merge(loaded, resources), settings)


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(Settings.from_env(), component_catalogue=True)
