"""The whole chain on the embedded services: generate months, materialise them, read the view."""

from __future__ import annotations

from pathlib import Path

from data_generator import GeneratorConfig, generate
from shopping_assets_tests import oracle

MONTHS = ["2024-01-01", "2024-02-01"]


def test_two_generated_months_give_the_view_an_independent_computation_gives(pipeline):
    view = pipeline.materialise(MONTHS)

    expected = pipeline.expected_view()
    assert expected, "the generator wrote no purchases"
    assert pipeline.view() == expected
    assert view["dagster/row_count"] == len(expected)
    assert view["basket lines counted"] == sum(expected.values())
    # the generated files are the ones the pipeline was given
    assert sorted(p.name for p in (pipeline.input_dir / "transactions").iterdir())[0] == "d=2024-01-01"


def test_rematerialising_a_partition_leaves_no_duplicates(pipeline):
    pipeline.materialise(MONTHS)
    before = pipeline.view()

    for _ in range(2):
        lines = pipeline.run_job("transactions_job", "2024-02-01")
    pipeline.run_job("reference_job")
    pipeline.run_job("publish_job")

    assert pipeline.view() == before == pipeline.expected_view()
    raw = pipeline.query(
        "SELECT COUNT(*), COUNT(DISTINCT SOURCE_FILE || ':' || LINE_NUMBER) FROM {db}.RAW.TRANSACTION_LINES "
        "WHERE PARTITION_MONTH = '2024-02-01'"
    )[0]
    assert raw[0] == raw[1] == oracle.line_count(pipeline.input_dir, "2024-02")
    assert lines["raw_transaction_lines"]["dagster/row_count"] == raw[0]
    customers = pipeline.query("SELECT COUNT(*) FROM {db}.RAW.CUSTOMERS")[0][0]
    assert customers == 40


def test_a_month_whose_files_changed_is_replaced_not_appended(pipeline, tmp_path: Path):
    pipeline.materialise(MONTHS)
    # the same month regenerated with another seed: different files, same names
    generate(pipeline.input_dir, GeneratorConfig(customers=40, seed=7), *_month_bounds("2024-02"), progress=False)
    # keep the reference files of the first seed so ids still match
    generate(tmp_path / "seed42", GeneratorConfig(customers=40, seed=42), *_month_bounds("2024-01"), progress=False)
    for name in ("customers.csv", "products.csv"):
        (pipeline.input_dir / name).write_bytes((tmp_path / "seed42" / name).read_bytes())

    pipeline.generate = False
    pipeline.run_job("transactions_job", "2024-02-01")
    pipeline.run_job("publish_job")

    assert pipeline.view() == pipeline.expected_view()


def _month_bounds(month: str):
    from datetime import date

    from data_generator.dates import month_end

    first = date.fromisoformat(f"{month}-01")
    return first, month_end(first)
