"""The user's way in: `shopping-pipeline dev` serves the project in the Dagster UI,
and a month launched from the UI (through the GraphQL call behind its Launch run button) is
run by the daemon in a run worker of its own and lands in the view; runs in the month-order
queue run one at a time."""

from __future__ import annotations

from harness.dagster_ui import dev_env, dev_server, materialise_month

LOCATION = """
{
  workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError {
    __typename
    ... on PythonError { message }
    ... on RepositoryLocation { repositories { name jobs { name } assetNodes { assetKey { path } } } }
  } } } }
}"""


def test_a_month_materialised_from_the_ui_lands_in_the_view(make_pipeline, tmp_path):
    from shopping_assets.instance import MONTH_ORDER_QUEUE
    from shopping_assets.partitions import monthly_partitions

    pipeline = make_pipeline(generate=True)
    month = monthly_partitions(pipeline.settings).get_partition_keys()[-2]
    assets = {key.to_user_string() for key in pipeline.definitions().resolve_asset_graph().get_all_asset_keys()}
    env = dev_env(pipeline, tmp_path / "dagster")

    log = tmp_path / "dev.log"
    with dev_server(env, log) as ui:
        (entry,) = ui.graphql(LOCATION)["workspaceOrError"]["locationEntries"]
        location = entry["locationOrLoadError"]
        assert location["__typename"] == "RepositoryLocation", location
        (repository,) = location["repositories"]
        shown = {"/".join(node["assetKey"]["path"]) for node in repository["assetNodes"]}
        assert shown == assets
        jobs = {job["name"] for job in repository["jobs"]}
        assert {"reference_job", "transactions_job", "publish_job", "weekly_job", "audit_job"} <= jobs

        materialise_month(ui, month, log)

        # Two runs in the month-order queue, launched back to back: the daemon starts the second
        # only after the first has ended (without the instance's limit both would start at once).
        first, second = (ui.launch("weekly_job", month, **{MONTH_ORDER_QUEUE: "test"}) for _ in range(2))
        assert [ui.wait(first), ui.wait(second)] == ["SUCCESS", "SUCCESS"], log.read_text()[-3000:]
        before, after = ui.run(first), ui.run(second)
        assert before["startTime"] < before["endTime"] <= after["startTime"], (before, after)

    view = pipeline.view()
    assert view and view == pipeline.expected_view()
