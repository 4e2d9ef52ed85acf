"""The user's way in: `shopping-pipeline dev` serves the project in the Dagster UI.

One dev server for the module. A month is launched from the UI (the GraphQL call behind
its Launch run button) as the weekly run, which the daemon runs in a run worker of its
own; the tests then read what the UI says, over GraphQL and in a real browser: headless
Chromium (Debian's, `make browser`) driven by Playwright. Each page the browser opens is
saved as a PNG in the module's tmp dir, or in $SHOPPING_UI_SCREENSHOTS (the README's come
from there).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.dagster_ui import UI, dev_env, dev_server, materialise_month
from shopping_assets_tests.conftest import Pipeline

# the module's tests share its dev server, so they run in one xdist worker
pytestmark = pytest.mark.xdist_group("dagster_ui")

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


@dataclass
class Served:
    ui: UI
    pipeline: Pipeline
    month: str
    run_id: str  # the month's weekly run, launched from the UI
    log: Path
    folder: Path


@pytest.fixture(scope="module")
def served(deployment, tmp_path_factory):
    from shopping_assets.partitions import monthly_partitions

    folder = tmp_path_factory.mktemp("ui")
    pipeline = Pipeline(deployment.target("ui"), folder / "input", generate=True)
    month = monthly_partitions(pipeline.settings).get_partition_keys()[-2]
    log = folder / "dev.log"
    with dev_server(dev_env(pipeline, folder / "dagster"), log) as ui:
        yield Served(ui, pipeline, month, materialise_month(ui, month, log), log, folder)


def test_the_ui_serves_every_asset_and_job_of_the_code_location(served):
    assets = {key.to_user_string() for key in served.pipeline.definitions().resolve_asset_graph().get_all_asset_keys()}

    (entry,) = served.ui.graphql(LOCATION)["workspaceOrError"]["locationEntries"]
    location = entry["locationOrLoadError"]
    assert location["__typename"] == "RepositoryLocation", location
    (repository,) = location["repositories"]
    assert {"/".join(node["assetKey"]["path"]) for node in repository["assetNodes"]} == assets
    jobs = {job["name"] for job in repository["jobs"]}
    assert {"reference_job", "transactions_job", "publish_job", "weekly_job", "audit_job"} <= jobs


def test_a_month_materialised_from_the_ui_lands_in_the_view(served):
    steps = served.ui.steps(served.run_id)
    assert steps and set(steps.values()) == {"SUCCESS"}, steps
    view = served.pipeline.view()
    assert view and view == served.pipeline.expected_view()


def test_runs_in_the_month_order_queue_run_one_at_a_time(served):
    from shopping_assets.instance import MONTH_ORDER_QUEUE

    # launched back to back: the daemon starts the second only after the first has ended
    # (without the instance's limit both would start at once)
    first, second = (served.ui.launch("publish_job", **{MONTH_ORDER_QUEUE: "test"}) for _ in range(2))
    assert [served.ui.wait(first), served.ui.wait(second)] == ["SUCCESS", "SUCCESS"], served.log.read_text()[-3000:]
    before, after = served.ui.run(first), served.ui.run(second)
    assert before["startTime"] < before["endTime"] <= after["startTime"], (before, after)


@pytest.fixture
def screenshots(served) -> Path:
    folder = Path(os.environ.get("SHOPPING_UI_SCREENSHOTS") or served.folder / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_browser_shows_the_graph_the_tables_and_the_months_run(served, screenshots):
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: `make browser` installs Debian's chromium for the UI tests"
    from playwright.sync_api import expect, sync_playwright

    from shopping_assets import tables

    ui, pipeline = served.ui, served.pipeline
    assets = {key.to_user_string() for key in pipeline.definitions().resolve_asset_graph().get_all_asset_keys()}
    [[rows]] = pipeline.query("SELECT COUNT(*) FROM {db}.STAGING.TRANSACTION_ITEMS")
    steps = ui.steps(served.run_id)
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

            # the month's weekly run: every step succeeded
            page.goto(f"{ui.url}/runs/{served.run_id}")
            shows("Success", "weekly_job", f"partition: {served.month}", f"Succeeded ({len(steps)})", "RUN_SUCCESS")
            # and its Gantt chart, which animates until then, draws them done
            page.wait_for_function(GANTT_DONE)
            page.screenshot(path=screenshots / "run.png", animations="disabled")
        finally:
            browser.close()
