"""Every input line is loaded or quarantined with its reason; checks say when it matters."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from data_generator import GeneratorConfig, generate, load_fault_manifest
from shopping_assets import statements as sql
from shopping_assets.line_catalogue import CATALOGUE, good
from shopping_assets.line_catalogue import line as doc
from shopping_assets_tests import oracle

CUSTOMERS = b"customer_id,loyalty_score\r\nC1,7\r\nC2,4\r\n"
PRODUCTS = (
    b"product_id,product_description,product_category\r\n"
    b"P01,men's trousers,clothes\r\n"
    b'P02,"apples, ""pink""",fruit_veg\r\n'
)


def write_folder(root: Path, days: dict[str, bytes], customers: bytes = CUSTOMERS, products: bytes = PRODUCTS) -> Path:
    (root / "transactions").mkdir(parents=True)
    (root / "customers.csv").write_bytes(customers)
    (root / "products.csv").write_bytes(products)
    for day, content in days.items():
        (root / "transactions" / f"d={day}").mkdir()
        (root / "transactions" / f"d={day}" / "transactions.json").write_bytes(content)
    return root


def quarantine(pipeline, source: str = "transactions") -> dict[tuple[str, int | None], str]:
    rows = pipeline.query(
        f"SELECT SOURCE_FILE, LINE_NUMBER, REASON FROM {{db}}.STAGING.QUARANTINE WHERE SOURCE = '{source}'"
    )
    return {(f.split("/")[-1], None if n is None else int(n)): r for f, n, r in rows}


def test_every_catalogue_line_is_quarantined_with_its_reason_and_good_lines_load(make_pipeline, tmp_path, monkeypatch):
    good_lines = [
        good(),
        good("C2", (("P02", 5), ("P02", 5))),  # the same product twice: two basket lines
        good("C1", (("P02", 7),), "2024-05-02 00:04:00.250000"),  # rolled past midnight: normal
        good("C9", (("P01", 1),)),  # unknown customer: loaded, left out of the view, reported
        good("C1", (("P77", 1),)),  # unknown product: likewise
    ]
    bad_lines = [text for text, _ in CATALOGUE]
    duplicate = good("C2", (("P01", 99),), "2024-05-01 18:00:00")
    lines = good_lines + bad_lines + [duplicate, duplicate]
    root = write_folder(
        tmp_path / "in",
        {
            "2024-05-01": ("\r\n".join(lines) + "\r\n").encode(),  # CRLF line ends
            "2024-05-02": b"",  # an empty file
            "2024-05-03": "\ufeff".encode() + good("C2", when="2024-05-03 08:00:00").encode() + b"\n",  # BOM
            "2024-05-04": (
                good(when="2024-05-04 08:00:00") + "\n" + '{"customer_id": "C2", "bask'
            ).encode(),  # truncated
        },
    )
    pipeline = make_pipeline(root)

    pipeline.run_job("reference_job")
    blocked = pipeline.run("transactions_job", "2024-05-01", raise_on_error=False)
    # the catalogue, a duplicate and a truncated line: most of the lines, far above the
    # 10 % ceiling, so the check fails and the run with it
    assert not blocked.success
    rate = blocked.checks["quarantine_rate"]
    assert not rate.passed and rate.severity.value == "ERROR"
    assert rate.metadata["quarantined"].value == len(CATALOGUE) + 2

    monkeypatch.setenv("SHOPPING_QUARANTINE_MAX_RATE", "1")  # accept this file knowingly
    outcome = pipeline.run("transactions_job", "2024-05-01")
    pipeline.run_job("publish_job")
    items, checks = outcome.metadata["transaction_items"], outcome.checks

    expected = {("2024-05-01.json", len(good_lines) + i + 1): reason for i, (_, reason) in enumerate(CATALOGUE)}
    expected[("2024-05-01.json", len(lines))] = "duplicate_line"
    expected[("2024-05-04.json", 2)] = "malformed_json"
    assert quarantine(pipeline) == expected

    assert pipeline.view() == {
        ("C1", 7, "P01", "clothes"): 2,  # 05-01 and 05-04
        ("C1", 7, "P02", "fruit_veg"): 1,
        ("C2", 4, "P02", "fruit_veg"): 2,
        ("C2", 4, "P01", "clothes"): 2,  # the first copy of the duplicate, and the BOM file's line
    }
    total_lines = len(lines) + 1 + 2
    assert items["input lines"] == total_lines
    assert items["loaded lines"] + items["quarantined lines"] == total_lines
    assert items["quarantined lines"] == len(expected)
    quarantined = outcome.metadata["transaction_quarantine"]
    assert quarantined["dagster/partition_row_count"] == len(expected)
    assert quarantined["quarantine reasons"]["price_not_positive"] == 2
    assert quarantined["dagster/uri"].endswith("quarantine/transactions/2024/05/quarantine.jsonl")

    assert checks["lines_accounted_for"].passed and checks["valid_prices_and_dates"].passed
    assert not checks["quarantine_rate"].passed and checks["quarantine_rate"].severity.value == "WARN"
    assert not checks["known_customers_and_products"].passed  # a warning, with the offenders named
    orphans = checks["known_customers_and_products"].metadata
    assert orphans["unknown customers"].value == ["C9"] and orphans["unknown products"].value == ["P77"]

    # the quarantine is in the bucket too, and exportable
    body = pipeline.s3_object("quarantine/transactions/2024/05/quarantine.jsonl")
    assert sorted(json.loads(line)["reason"] for line in body.splitlines()) == sorted(expected.values())


def test_a_few_bad_lines_among_many_warn_without_blocking(make_pipeline, tmp_path):
    lines = [good("C1", (("P01", n),), f"2024-05-01 {n // 60:02d}:{n % 60:02d}:00") for n in range(1, 300)]
    lines.append("not json")
    root = write_folder(tmp_path / "in", {"2024-05-01": ("\n".join(lines) + "\n").encode()})
    pipeline = make_pipeline(root)

    reference = pipeline.run("reference_job").checks
    checks = pipeline.run("transactions_job", "2024-05-01").checks
    pipeline.run_job("publish_job")

    assert reference["raw_customers.no_id_left_out"].passed and reference["raw_products.no_id_left_out"].passed
    assert checks["quarantine_rate"].passed  # 1 in 300 is under the 1 % warning
    assert pipeline.view() == {("C1", 7, "P01", "clothes"): 299}


def test_a_load_that_breaks_the_rules_fails_its_checks(make_pipeline, tmp_path, monkeypatch):
    """The checks count the tables as written, so a faulty load cannot pass them: here the
    load also takes a line the classification quarantined (its price is negative)."""
    faulty = tmp_path / "sql"
    shutil.copytree(sql.SQL_DIR, faulty)
    load = faulty / "staging" / "transaction_items_replace.sql"
    assert "WHERE t.REASON IS NULL;" in load.read_text()
    load.write_text(load.read_text().replace("WHERE t.REASON IS NULL;", "WHERE t.REASON IS NULL OR t.REASON <> '';"))
    monkeypatch.setattr(sql, "SQL_DIR", faulty)
    monkeypatch.setenv("SHOPPING_QUARANTINE_MAX_RATE", "1")  # only the checks under test may fail
    lines = [good(), good("C2"), doc(basket=[{"product_id": "P01", "price": -5}])]
    pipeline = make_pipeline(write_folder(tmp_path / "in", {"2024-05-01": ("\n".join(lines) + "\n").encode()}))
    try:
        pipeline.run_job("reference_job")
        outcome = pipeline.run("transactions_job", "2024-05-01", raise_on_error=False)
    finally:
        monkeypatch.undo()

    assert not outcome.success and "transaction_items" in outcome.errors
    accounted, valid = outcome.checks["lines_accounted_for"], outcome.checks["valid_prices_and_dates"]
    assert not accounted.passed
    assert {k: v.value for k, v in accounted.metadata.items()} == {"input lines": 3, "loaded": 3, "quarantined": 1}
    assert not valid.passed and valid.metadata["invalid basket lines"].value == 1


def test_raw_lines_are_counted_against_the_files_however_they_reached_the_bucket(make_pipeline, tmp_path, monkeypatch):
    """lines_match_files counts the files outside the warehouse: from the upload while the bucket
    holds what was uploaded, by reading the objects once something else has changed them."""
    faulty = tmp_path / "sql"
    shutil.copytree(sql.SQL_DIR, faulty)
    replace = faulty / "raw" / "transaction_lines_replace.sql"
    assert "FROM {database}.RAW.TRANSACTION_LINES_LOAD;" in replace.read_text()
    # a faulty load that drops every file's first line
    replace.write_text(
        replace.read_text().replace("TRANSACTION_LINES_LOAD;", "TRANSACTION_LINES_LOAD WHERE LINE_NUMBER > 1;")
    )
    pipeline = make_pipeline(write_folder(tmp_path / "in", {"2024-05-01": f"{good()}\n{good('C2')}\n".encode()}))
    pipeline.run_job("reference_job")
    lake = pipeline.definitions().resources["lake"]

    def upstream_writes(body: str) -> None:  # a file written straight into the bucket, not from the input folder
        lake.client().put_object(
            Bucket=lake.bucket, Key=lake.prefix + "transactions/2024/05/2024-05-02.json", Body=body
        )

    def lines_match_files(job: str) -> dict:
        outcome = pipeline.run(job, "2024-05-01", raise_on_error=False)
        check = outcome.checks["lines_match_files"]
        return {"passed": check.passed, **{k: v.value for k, v in check.metadata.items()}}

    assert lines_match_files("transactions_job") == {
        "passed": True,
        "lines in RAW": 2,
        "lines in the files": 2,
        "files counted in": "transaction_objects' upload",
    }
    upstream_writes(good("C1", when="2024-05-02 10:00:00"))  # no final newline
    assert lines_match_files("bucket_transactions_job") == {
        "passed": True,
        "lines in RAW": 3,
        "lines in the files": 3,
        "files counted in": "the bucket",
    }

    monkeypatch.setattr(sql, "SQL_DIR", faulty)
    try:
        from_upload = lines_match_files("transactions_job")  # mirrors the input folder: the extra object goes
        upstream_writes(good("C1", when="2024-05-02 10:00:00") + "\n")
        from_bucket = lines_match_files("bucket_transactions_job")
    finally:
        monkeypatch.undo()
    assert from_upload == {
        "passed": False,
        "lines in RAW": 1,
        "lines in the files": 2,
        "files counted in": "transaction_objects' upload",
    }
    assert from_bucket == {
        "passed": False,
        "lines in RAW": 1,
        "lines in the files": 3,
        "files counted in": "the bucket",
    }


def test_reference_rows_that_break_rules_are_quarantined_and_left_out(make_pipeline, tmp_path):
    customers = (
        "\ufeffcustomer_id,loyalty_score\r\n"  # a BOM
        "C1,7\r\nC1,7\r\n"  # an exact duplicate: one copy kept
        "C2,4\r\nC2,5\r\n"  # conflicting copies: neither can be trusted
        "C3,eleven\r\nC4,11\r\n,3\r\n"
        "C5,\r\n"  # no score: COPY loads it as NULL
        "C6,05\r\nC6,5\r\n"  # the same score written twice: one copy kept
    ).encode()
    products = PRODUCTS + b'P03,"kid\'s ""fun"" socks, pack of 3",clothes\r\nP04,no category,\r\n'
    lines = [good(c, (("P03", 1),)) for c in ("C1", "C2", "C3", "C5", "C6")]
    root = write_folder(tmp_path / "in", {"2024-05-01": ("\n".join(lines) + "\n").encode()}, customers, products)
    pipeline = make_pipeline(root)

    pipeline.materialise(["2024-05-01"])
    reference = pipeline.run("reference_job")

    unique = reference.checks["raw_customers.unique_valid_ids"]
    assert unique.passed  # duplicates were quarantined, so the view joins to one row per id
    assert unique.metadata["ids repeated in the file"].value == ["C1", "C2", "C6"]
    # the ids whose purchases the views now leave out are named (a warning: the file may be fixed)
    left_out = {name: reference.checks[f"raw_{name}.no_id_left_out"] for name in ("customers", "products")}
    assert not left_out["customers"].passed and left_out["customers"].severity.value == "WARN"
    assert left_out["customers"].metadata["first ids (reason)"].value == [
        "C2 (conflicting_duplicate_id)",
        "C3 (loyalty_not_integer)",
        "C4 (loyalty_out_of_range)",
        "C5 (missing_loyalty_score)",
    ]
    assert left_out["products"].metadata["first ids (reason)"].value == ["P04 (missing_category)"]
    assert {reason for _, reason in quarantine_rows(pipeline, "customers")} == {
        "duplicate_row",
        "conflicting_duplicate_id",
        "loyalty_not_integer",
        "loyalty_out_of_range",
        "missing_customer_id",
        "missing_loyalty_score",
    }
    # C1 copy, both C2, C3, C4, the blank id, C5, a C6 copy
    assert len(quarantine_rows(pipeline, "customers")) == 8
    assert quarantine_rows(pipeline, "products") == [("P04,no category,", "missing_category")]
    assert pipeline.view() == {("C1", 7, "P03", "clothes"): 1, ("C6", 5, "P03", "clothes"): 1}
    exported = tmp_path / "quarantine.csv"
    from shopping_assets.export import export_table

    assert export_table(pipeline.warehouse(), "quarantine", exported) == 9
    assert "conflicting_duplicate_id" in exported.read_text()
    described = pipeline.query("SELECT PRODUCT_DESCRIPTION FROM {db}.STAGING.PRODUCTS WHERE PRODUCT_ID = 'P03'")
    assert described == [('kid\'s "fun" socks, pack of 3',)]


@pytest.mark.parametrize(
    ("customers", "problem"),
    [
        (b"customer_id,loyalty_score\r\nC1,7,extra\r\n", "line 2: 3 fields, expected 2"),
        (b"customer_id,loyalty_score\r\nC1\r\n", "line 2: 1 fields, expected 2"),
        (b"customer_id,loyalty_score\r\nC\xff1,7\r\n", "line 2: not UTF-8 (byte 0xff)"),
        (b"", "is empty (expected the header customer_id,loyalty_score)"),
        (b"id,score\r\nC1,7\r\n", "line 1: header is id,score, expected customer_id,loyalty_score"),
    ],
)
def test_a_malformed_reference_file_stops_the_load_naming_the_file(make_pipeline, tmp_path, customers, problem):
    from dagster import Failure

    from shopping_assets.errors import InputLayoutError

    root = write_folder(tmp_path / "in", {"2024-05-01": (good() + "\n").encode()}, customers=customers)
    pipeline = make_pipeline(root)

    with pytest.raises(Failure) as failed:
        pipeline.run_job("reference_job")
    # a bad file fails the step for good: retrying cannot fix it
    assert not failed.value.allow_retries
    assert isinstance(failed.value.__cause__, InputLayoutError)
    assert failed.value.description in (f"{root / 'customers.csv'}, {problem}", f"{root / 'customers.csv'} {problem}")


def test_generated_faults_are_all_accounted_for_and_the_view_counts_only_good_lines(make_pipeline, tmp_path):
    root = tmp_path / "faulty"
    generate(
        root, GeneratorConfig(customers=60, seed=3, faults=0.05), date(2024, 1, 1), date(2024, 2, 29), progress=False
    )
    manifest = load_fault_manifest(root)
    pipeline = make_pipeline(root)

    pipeline.materialise(["2024-01-01", "2024-02-01"])

    # every line of every file is loaded or quarantined, never both, never neither
    for month in ("2024-01", "2024-02"):
        raw = pipeline.query(f"SELECT COUNT(*) FROM {{db}}.RAW.TRANSACTION_LINES WHERE PARTITION_MONTH = '{month}-01'")[
            0
        ][0]
        assert raw == oracle.line_count(root, month)
    quarantined = quarantine(pipeline)
    loaded = pipeline.query(
        "SELECT COUNT(*) FROM (SELECT DISTINCT SOURCE_FILE, LINE_NUMBER FROM {db}.STAGING.TRANSACTION_ITEMS)"
    )[0][0]
    assert loaded + len(quarantined) == oracle.line_count(root, "2024-01") + oracle.line_count(root, "2024-02")

    # exactly the injected lines are quarantined (unknown ids load, and stay out of the view)
    injected = {
        (f"{entry['file'].split('=')[1][:10]}.json", entry["line"]): REASON_OF_FAULT[entry["kind"]]
        for entry in manifest
        if REASON_OF_FAULT[entry["kind"]]
    }
    assert injected, "the generator injected no faults"
    assert quarantined == injected

    bad = {(e["file"], e["line"]) for e in manifest}
    assert pipeline.view() == oracle.purchase_counts(root, skip=bad)


# the generator's fault kinds -> the pipeline's quarantine reason (None: loaded, but not in the view)
REASON_OF_FAULT = {
    "malformed_json": "malformed_json",
    "truncated_last_line": "malformed_json",
    "unknown_customer": None,
    "unknown_product": None,
    "missing_basket": "missing_basket",
    "basket_not_list": "basket_not_list",
    "empty_basket": "empty_basket",
    "missing_product_id": "missing_product_id",
    "price_missing": "price_missing",
    "price_zero": "price_not_positive",
    "price_negative": "price_not_positive",
    "price_non_integer": "price_not_integer",
    "price_string": "price_not_integer",
    "date_missing": "date_missing",
    "date_unparseable": "date_unparseable",
    "date_out_of_window": "date_out_of_window",
    "duplicate_line": "duplicate_line",
}


def quarantine_rows(pipeline, source: str) -> list[tuple]:
    return pipeline.query(f"SELECT LINE, REASON FROM {{db}}.STAGING.QUARANTINE WHERE SOURCE = '{source}'")
