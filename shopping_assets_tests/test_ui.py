"""The user's way in: `shopping-pipeline dev` serves the project in the Dagster UI.

One dev server, one story (a server costs a minute to start, so the steps share it). The
last two months are backfilled from the UI (the GraphQL call behind weekly_job's Launch
backfill): the daemon submits one run over the range, as the job's BackfillPolicy says, and
runs it in a run worker of its own, in the month-order queue with two more runs; then the
test reads what the UI says,
over GraphQL and in a real browser: headless Chromium (Debian's, `make browser`) driven by
Playwright. Each page the browser opens is saved as a PNG in the test's tmp dir, or in
$SHOPPING_UI_SCREENSHOTS (the README's come from there).
"""

from __future__ import annotations

import itertools
import os
import re
import time
from pathlib import Path

import pytest

from harness.dagster_ui import UI, dev_env, dev_server

LOCATION = """
{
  workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError {
    __typename
    ... on PythonError { message }
    ... on RepositoryLocation { repositories { name jobs { name } assetNodes { assetKey { path } } } }
  } } } }
}"""

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 90_000  # a slow, shared machine: the UI's first queries can take a while
GROUPS = ("inputs", "landing", "raw", "staging", "mart")
# the UI's "Join the Dagster community" dialog, dismissed as a click on Skip would
NO_COMMUNITY_DIALOG = "window.localStorage.setItem('communityNux', JSON.stringify('1'))"
# the run page's Gantt chart draws the steps in view (not all of them), none dotted (not
# started) once the run's last events have arrived
GANTT_DONE = """() => {
  const boxes = [...document.querySelectorAll('.chart-element.box')];
  return boxes.length > 0 && boxes.every(box => !box.style.border.includes('dotted'));
}"""


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SHOPPING_UI_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_months_backfilled_from_the_ui_land_in_the_view_in_one_run_and_show_in_the_browser(
    make_pipeline, tmp_path, screenshots
):
    from shopping_assets.partitions import monthly_partitions

    pipeline = make_pipeline(generate=True)
    months = monthly_partitions(pipeline.settings).get_partition_keys()[-2:]
    assets = {key.to_user_string() for key in pipeline.definitions().resolve_asset_graph().get_all_asset_keys()}
    log = tmp_path / "dev.log"
    with dev_server(dev_env(pipeline, tmp_path / "dagster"), log) as ui:
        _serves_every_asset_and_job(ui, assets)
        backfill_id, run_id = _the_months_backfill_in_one_run_queued_with_two_more(ui, months, log)
        steps = ui.steps(run_id)
        assert steps and set(steps.values()) == {"SUCCESS"}, steps
        view = pipeline.view()
        assert view and view == pipeline.expected_view()
        _the_browser_shows_the_graph_the_tables_and_the_run(
            ui, pipeline, assets, backfill_id, run_id, len(steps), screenshots
        )


def _the_months_backfill_in_one_run_queued_with_two_more(ui: UI, months: list[str], log: Path) -> tuple[str, str]:
    """weekly_job's backfill of the months is one run over their range. Tagged for the month-order
    queue (as the Launch backfill dialog's tags can), its run waits its turn there with two
    publish_job runs launched beside it: the three run one at a time, none started before the one
    ahead of it ended (without the instance's limit they would overlap). The backfill's id and its
    run's."""
    from shopping_assets.instance import MONTH_ORDER_QUEUE
    from shopping_assets.partitions import range_tags

    backfill_id = ui.backfill_job("weekly_job", months, **{MONTH_ORDER_QUEUE: "test"})
    others = [ui.launch("publish_job", **{MONTH_ORDER_QUEUE: "test"}) for _ in range(2)]
    deadline = time.monotonic() + 120  # the backfill daemon looks at new backfills every 30 s
    while not (runs := ui.backfill(backfill_id)["runs"]):
        assert time.monotonic() < deadline, f"the daemon submitted no run\n{log.read_text()[-3000:]}"
        time.sleep(1)
    (run,) = runs
    tags = {tag["key"]: tag["value"] for tag in run["tags"]}
    assert {**range_tags(months[0], months[-1]), MONTH_ORDER_QUEUE: "test"}.items() <= tags.items(), tags
    assert ui.wait(run["id"], timeout=300) == "SUCCESS", log.read_text()[-3000:]
    assert [ui.wait(other) for other in others] == ["SUCCESS", "SUCCESS"], log.read_text()[-3000:]
    spans = sorted((ui.run(run_id)["startTime"], ui.run(run_id)["endTime"]) for run_id in [run["id"], *others])
    assert all(start < end for start, end in spans), spans
    assert all(before[1] <= after[0] for before, after in itertools.pairwise(spans)), spans
    return backfill_id, run["id"]


def _serves_every_asset_and_job(ui: UI, assets: set[str]) -> None:
    (entry,) = ui.graphql(LOCATION)["workspaceOrError"]["locationEntries"]
    location = entry["locationOrLoadError"]
    assert location["__typename"] == "RepositoryLocation", location
    (repository,) = location["repositories"]
    assert {"/".join(node["assetKey"]["path"]) for node in repository["assetNodes"]} == assets
    jobs = {job["name"] for job in repository["jobs"]}
    assert {"reference_job", "transactions_job", "publish_job", "weekly_job", "audit_job"} <= jobs


def _the_browser_shows_the_graph_the_tables_and_the_run(
    ui: UI,
    pipeline,
    assets: set[str],
    backfill_id: str,
    run_id: str,
    steps: int,
    screenshots: Path,
) -> None:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: `make browser` installs Debian's chromium for the UI tests"
    from playwright.sync_api import expect, sync_playwright

    from shopping_assets import tables

    [[rows]] = pipeline.query("SELECT COUNT(*) FROM {db}.STAGING.TRANSACTION_ITEMS")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.set_default_timeout(WAIT_MS)
            context.add_init_script(NO_COMMUNITY_DIALOG)
            page = context.new_page()

            def shows(*texts: str) -> None:
                for text in texts:
                    expect(page.get_by_text(text, exact=True).filter(visible=True).first).to_be_visible(timeout=WAIT_MS)

            def shows_table(name: str) -> None:
                """The Storage line: a long name is shortened on screen, and whole in the page beside it."""
                shows("Storage")
                expect(page.get_by_text(name, exact=True).first).to_be_attached(timeout=WAIT_MS)

            # the asset graph, every group open (as the UI writes it in the URL), and in the sidebar
            # (where names are not shortened to fit a node) each group unfolded to its assets
            page.goto(f"{ui.url}/asset-groups?expanded=" + ",".join(f"global@global:{group}" for group in GROUPS))
            shows(*GROUPS, "transaction_items")
            folds = page.get_by_role("button").filter(has=page.get_by_role("img", name="arrow_drop_down"))
            for fold in reversed(range(len(GROUPS))):  # from the bottom, so that the ones above stay put
                folds.nth(fold).click()
            # a long name is shortened on screen too; the row's accessible name ends with it whole
            for name in sorted(assets):
                row = page.get_by_role("button", name=re.compile(rf"\s{re.escape(name)}$"))
                expect(row.first).to_be_visible(timeout=WAIT_MS)
            page.screenshot(path=screenshots / "asset-graph.png", animations="disabled")

            # the basket lines: their table, its columns, the month's row count
            page.goto(f"{ui.url}/assets/transaction_items")
            shows("Columns", *(column.name for column in tables.TRANSACTION_ITEMS.columns))
            shows_table(tables.TRANSACTION_ITEMS.qualified(pipeline.settings.database))
            expect(page.get_by_text("Row count", exact=True).locator("..")).to_have_text(
                f"Row count{rows:,}", timeout=WAIT_MS
            )
            page.screenshot(path=screenshots / "transaction-items.png", animations="disabled")

            # the view the data scientists read
            page.goto(f"{ui.url}/assets/purchase_counts")
            shows("Columns", *(column.name for column in tables.PURCHASE_COUNTS.columns))
            shows_table(tables.PURCHASE_COUNTS.qualified(pipeline.settings.database))
            page.screenshot(path=screenshots / "purchase-counts.png", animations="disabled")

            # the backfill's run over the months (in the backfill's breadcrumb): every step succeeded
            page.goto(f"{ui.url}/runs/{run_id}")
            shows("Success", "weekly_job", backfill_id, f"Succeeded ({steps})", "RUN_SUCCESS")
            # and its Gantt chart, which animates until then, draws them done
            page.wait_for_function(GANTT_DONE)
            page.screenshot(path=screenshots / "run.png", animations="disabled")
        finally:
            browser.close()
