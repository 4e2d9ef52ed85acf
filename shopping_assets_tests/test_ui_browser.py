"""The UI in a real browser: after a month is materialised from the UI, headless Chromium
(Debian's, `make browser`) shows the asset graph, the basket lines' table with its columns
and row count, the view, and the month's run as a success. Each page is saved as a PNG in
the test's tmp dir, or in $SHOPPING_UI_SCREENSHOTS (the README's come from there)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from harness.dagster_ui import dev_env, dev_server, materialise_month

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
# the run page's Gantt chart shows that many step boxes, none of them dotted (not started)
GANTT_DONE = """steps => {
  const boxes = [...document.querySelectorAll('.chart-element.box')];
  return boxes.length === steps && boxes.every(box => !box.style.border.includes('dotted'));
}"""


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SHOPPING_UI_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_month_materialised_from_the_ui_shows_in_the_browser(make_pipeline, tmp_path, screenshots):
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: `make browser` installs Debian's chromium for the UI tests"
    from playwright.sync_api import expect, sync_playwright

    from shopping_assets import tables
    from shopping_assets.partitions import monthly_partitions

    pipeline = make_pipeline(generate=True)
    month = monthly_partitions(pipeline.settings).get_partition_keys()[-2]
    assets = {key.to_user_string() for key in pipeline.definitions().resolve_asset_graph().get_all_asset_keys()}
    log = tmp_path / "dev.log"
    with dev_server(dev_env(pipeline, tmp_path / "dagster"), log) as ui, sync_playwright() as playwright:
        runs = materialise_month(ui, month, log)
        [[rows]] = pipeline.query("SELECT COUNT(*) FROM {db}.STAGING.TRANSACTION_ITEMS")
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

            # the month's run: its four steps succeeded
            page.goto(f"{ui.url}/runs/{runs['transactions_job']}")
            shows("Success", "transactions_job", f"partition: {month}", "Succeeded (4)", "RUN_SUCCESS")
            # and its Gantt chart, which animates until the run's last events arrive, draws them done
            page.wait_for_function(GANTT_DONE, arg=4)
            page.screenshot(path=screenshots / "run.png", animations="disabled")
        finally:
            browser.close()
