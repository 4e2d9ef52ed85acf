"""The freshness rule: which assets must be refreshed how often, and which are stale now.

Data lands weekly, so the monitored assets may be at most 8 days old (a week plus a
day of slack for a slow or retried run). `SHOPPING_FRESHNESS_HOURS` overrides the
window for all of them. The same window feeds two things:

- Dagster's own `FreshnessPolicy` on the assets (`with_freshness`), which the UI shows
  and the daemon evaluates, but which sends nothing in open-source Dagster;
- our `freshness_alerts` sensor, which does the alerting, with `evaluate` below as its
  whole decision (a plain function, so it is tested without Dagster).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from dagster import AssetsDefinition, AssetSpec, FreshnessPolicy

from shopping_assets.settings import SettingsError

# The raw and staging tables and the view: what the data scientists read, directly or not.
MONITORED = ("raw_transaction_lines", "transaction_items", "purchase_counts")
DEFAULT_WINDOW = timedelta(days=8)


def freshness_window() -> timedelta:
    raw = os.environ.get("SHOPPING_FRESHNESS_HOURS", "").strip()
    if not raw:
        return DEFAULT_WINDOW
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"SHOPPING_FRESHNESS_HOURS={raw!r} must be a whole number of hours, at least 1")
    return timedelta(hours=int(raw))


def freshness_windows() -> dict[str, timedelta]:
    """Monitored asset (user string) -> how old its latest materialization may be."""
    window = freshness_window()
    return {name: window for name in MONITORED}


def freshness_policy(window: timedelta) -> FreshnessPolicy:
    # Warn one day early with the default window (7 of 8 days): the same proportion otherwise.
    return FreshnessPolicy.time_window(fail_window=window, warn_window=window * 7 / 8)


def with_freshness(assets: Sequence[Any]) -> list[Any]:
    """Copies of `assets` whose monitored specs carry a FreshnessPolicy; everything else unchanged.

    Done here rather than in the asset modules so the policy and the alerting sensor
    share one window and one list of assets.
    """
    windows = freshness_windows()

    def attach(spec: AssetSpec) -> AssetSpec:
        window = windows.get(spec.key.to_user_string())
        return spec if window is None else spec.replace_attributes(freshness_policy=freshness_policy(window))

    return [a.map_asset_specs(attach) if isinstance(a, AssetsDefinition) else a for a in assets]


def evaluate(
    now: datetime,
    last_materialized: Mapping[str, datetime | None],
    windows: Mapping[str, timedelta],
    alerted: Iterable[str],
) -> tuple[list[str], list[str], set[str]]:
    """One tick of incident tracking: (newly stale, recovered, assets now in an incident).

    An asset is stale when its latest materialization (any partition) is older than
    its window. An incident starts when a monitored asset turns stale and ends when
    it is fresh again; only those two edges produce a message, so a week-long
    incident alerts once. An asset never materialized is not judged (nothing was
    delivered yet; failed runs are the run-failure sensor's business) and keeps its
    state. Assets no longer monitored leave the incident set silently.
    """
    alerted = set(alerted) & set(windows)
    stale, fresh = set(), set()
    for name, window in windows.items():
        last = last_materialized.get(name)
        if last is not None:
            (stale if now - last > window else fresh).add(name)
    to_alert = sorted(stale - alerted)
    recovered = sorted(fresh & alerted)
    return to_alert, recovered, (alerted | stale) - fresh


def describe(name: str, now: datetime, last: datetime | None, window: timedelta) -> str:
    if last is None:
        return f"{name}: never materialized"
    day = timedelta(days=1)
    return (
        f"{name}: last materialized {last.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"{(now - last) / day:.1f} days ago (window {window / day:g} days)"
    )
