"""The command line as a user meets it: ingesting their own folder, and clear errors."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from shopping_assets.cli import main
from shopping_assets_tests import oracle


def _isolate(monkeypatch: pytest.MonkeyPatch) -> None:
    unique = uuid.uuid4().hex[:8]
    monkeypatch.setenv("SNOWFLAKE_DATABASE", f"CLI_{unique}")
    monkeypatch.setenv("SHOPPING_S3_PREFIX", f"cli-{unique}")


def _line(customer: str, basket: list[tuple[str, int]], when: str) -> str:
    return json.dumps(
        {
            "customer_id": customer,
            "basket": [{"product_id": p, "price": n} for p, n in basket],
            "date_of_purchase": when,
        }
    )


@pytest.fixture
def starter_folder(tmp_path: Path) -> Path:
    """A folder with the quirks real starter files have."""
    root = tmp_path / "starter"
    (root / "transactions").mkdir(parents=True)
    (root / "customers.csv").write_bytes(b"customer_id,loyalty_score\r\nC1,7\r\nC2,4\r\nC3,10\r\nC4,1\r\n")
    (root / "products.csv").write_bytes(
        b"product_id,product_description,product_category\r\n"
        b"P01,men's trousers,clothes\r\n"
        b'P02,"apples, ""pink lady""",fruit_veg\r\n'
        b"P03,children's sweets,sweets\r\n"
        b"P61,red wine,bws\r\n"
    )
    days = {
        "2018-09-01": "\r\n".join(  # CRLF line ends
            [
                _line("C1", [("P01", 506), ("P02", 121)], "2018-09-01 11:09:00"),
                _line("C2", [("P02", 99), ("P02", 99)], "2018-09-01 12:00:00.123456"),  # twice in one basket
                _line("C1", [("P61", 1500)], "2018-09-02 00:03:10"),  # rolled past midnight
            ]
        )
        + "\r\n",
        "2018-09-02": "",  # no sales that day
        # a month later, October without a file: loaded as an empty month
        "2018-11-15": _line("C3", [("P03", 5), ("P01", 700), ("P03", 6)], "2018-11-15 09:30:00") + "\n",
    }
    for day, text in days.items():
        folder = root / "transactions" / f"d={day}"
        folder.mkdir()
        (folder / "transactions.json").write_bytes(text.encode())
    return root


def test_run_ingests_an_existing_starter_folder_with_its_quirks_and_exports_by_extension(
    settings, starter_folder, tmp_path, monkeypatch, capsys
):
    import pandas as pd

    _isolate(monkeypatch)
    out = tmp_path / "purchase_counts.csv"

    assert main(["run", "--input-dir", str(starter_folder), "--export", str(out)]) == 0
    printed = capsys.readouterr().out
    assert main(["export", "--out", str(tmp_path / "b.parquet")]) == 0

    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    got = {
        (r["customer_id"], int(r["loyalty_score"]), r["product_id"], r["product_category"]): int(r["purchase_count"])
        for r in rows
    }
    assert got == oracle.purchase_counts(starter_folder)
    assert got[("C2", 4, "P02", "fruit_veg")] == 2  # a product twice in a basket counts 2
    assert got[("C1", 7, "P61", "bws")] == 1  # the purchase dated the next day still counts
    assert got[("C3", 10, "P03", "sweets")] == 2
    assert not any(key[0] == "C4" for key in got)  # a customer who never bought has no rows
    assert list(rows[0]) == ["customer_id", "loyalty_score", "product_id", "product_category", "purchase_count"]
    assert "2018-09" in printed and "2018-11" in printed and "purchase_counts: 6 rows" in printed
    frame = pd.read_parquet(tmp_path / "b.parquet")  # the same view, as Parquet
    assert len(frame) == 6 and frame["purchase_count"].sum() == 8


def test_missing_input_folder_is_named(settings, tmp_path, monkeypatch, capsys):
    _isolate(monkeypatch)
    missing = tmp_path / "nowhere"
    assert main(["run", "--input-dir", str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err


def test_a_dot_env_file_configures_every_command_and_the_environment_wins(settings, tmp_path, monkeypatch, capsys):
    """.env.example says to copy it to .env: the CLI reads that file, as `dagster dev` does."""
    _isolate(monkeypatch)
    for name in ("SHOPPING_INPUT_DIR", "SHOPPING_GENERATE"):
        monkeypatch.setenv(name, "unset")  # so that undo removes what .env sets
        monkeypatch.delenv(name)
    missing = tmp_path / "nowhere"
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"SHOPPING_INPUT_DIR={missing}\nSHOPPING_GENERATE=false\nSHOPPING_S3_PORT=1\n")
    monkeypatch.setattr("shopping_assets.cli.DOTENV", dotenv)

    assert main(["run"]) == 2
    assert str(missing) in capsys.readouterr().err
    assert os.environ["SHOPPING_S3_PORT"] == str(settings.s3_port)


def test_wrong_layout_is_named(settings, starter_folder, monkeypatch, capsys):
    _isolate(monkeypatch)
    (starter_folder / "transactions" / "2018-09-03").mkdir()
    assert main(["run", "--input-dir", str(starter_folder)]) == 2
    err = capsys.readouterr().err
    assert "2018-09-03" in err and "d=YYYY-MM-DD" in err


def test_months_before_the_first_partition_say_how_to_cover_them(settings, starter_folder, monkeypatch, capsys):
    _isolate(monkeypatch)
    monkeypatch.setenv("SHOPPING_FIRST_MONTH", "2020-01")
    assert main(["run", "--input-dir", str(starter_folder)]) == 2
    assert "SHOPPING_FIRST_MONTH" in capsys.readouterr().err


@pytest.mark.services  # the commands start services of their own
def test_run_then_export_on_services_neither_left_running(starter_folder, tmp_path, monkeypatch, capsys):
    """Each command brings up the embedded services it needs and stops what it started, so the
    natural next command after `run` works with nothing running in between."""
    from shopping_assets.embedded import services
    from shopping_assets.settings import Settings

    monkeypatch.setenv("SHOPPING_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SHOPPING_S3_PORT", str(services.free_port()))
    monkeypatch.setenv("SHOPPING_SNOWFLAKE_PORT", str(services.free_port()))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    own = Settings.from_env()

    assert main(["export", "--out", str(tmp_path / "v.csv")]) == 2  # the view is made by the first run
    assert "MART.PURCHASE_COUNTS does not exist yet" in capsys.readouterr().err
    assert main(["run", "--input-dir", str(starter_folder), "--export", str(tmp_path / "a.csv")]) == 0
    assert set(services.status(own).values()) == {"stopped"}
    assert main(["export", "--table", "quarantine", "--out", str(tmp_path / "q.csv")]) == 0
    assert set(services.status(own).values()) == {"stopped"}
    assert (tmp_path / "q.csv").read_text().splitlines()[0].startswith("source,partition_month,source_file")


@pytest.mark.services  # the commands start services of their own
def test_two_commands_starting_the_services_at_once_both_succeed(tmp_path):
    """A schedule's run and a manual one may start together: one starts and bootstraps the
    services while the other waits, then finds them running. Neither imports Dagster: the
    bootstrap needs only the Snowflake connector."""
    from shopping_assets.embedded import services

    env = {
        **os.environ,
        "SHOPPING_HOME": str(tmp_path / "home"),
        "SHOPPING_S3_PORT": str(services.free_port()),
        "SHOPPING_SNOWFLAKE_PORT": str(services.free_port()),
        "DAGSTER_HOME": str(tmp_path / "dagster"),
    }
    command = [sys.executable, "-c", _importing(*DAGSTER), "services", "start"]
    starts = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    try:
        outputs = [start.communicate(timeout=300)[0] for start in starts]
    finally:
        for start in starts:
            start.kill()
            start.wait()
    try:
        assert [start.returncode for start in starts] == [0, 0], outputs
        said = sorted(line for output in outputs for line in output.splitlines() if line.startswith("started:"))
        assert said == ["started: nothing (already running)", "started: s3, snowflake"]
        assert [output.splitlines()[-1] for output in outputs] == ["[]", "[]"], outputs
    finally:
        stop = [sys.executable, "-m", "shopping_assets.cli", "services", "stop"]
        subprocess.run(stop, env=env, capture_output=True, timeout=120)


def test_every_make_target_and_readme_command_parses():
    """What a user types from the Makefile or the README reaches a handler, with its options."""
    import importlib
    import re
    import shlex

    from shopping_assets.cli import parser

    root = Path(__file__).resolve().parents[1]
    makefile = (root / "Makefile").read_text()
    commands = re.findall(r"\$\(BIN\)/shopping-pipeline (.+)", makefile)
    readme = "\n".join(p.read_text() for p in [root / "README.md", *(root / "docs").glob("*.md")])
    commands += re.findall(r"`shopping-pipeline ([^`]+ [^`]+)`", readme)
    examples = {
        "FILE": "out.csv",
        "DIR": "in",
        "N": "5",
        "M": "2",
        "S": "1",
        "RATE": "0.1",
        "T": "quarantine",
        "YYYY-MM-DD": "2024-01-31",
        "start|stop|status": "status",
    }
    # of alternatives such as `[--dry-run | --audit]`, each is tried
    expanded = []
    for command in (c.replace("\\|", "|") for c in commands):
        choice = re.search(r"\[([^\]]*\|[^\]]*)\]", command)
        options = choice.group(1).split("|") if choice else [""]
        expanded += [command.replace(choice.group(0), o) if choice else command for o in options]
    argvs = [[examples.get(word, word) for word in shlex.split(re.sub(r"[\[\]]", "", c))] for c in expanded]
    assert ["run"] in argvs and len(commands) >= 8
    for argv in argvs:
        assert callable(parser().parse_args(argv).handler), argv
    # the harnesses the Makefile runs as modules take their options too
    modules = re.findall(r"\$\(BIN\)/python -m ([\w.]+)(.*)", makefile)
    assert {m for m, _ in modules} >= {"benchmarks", "benchmarks.generator", "harness.soak"}
    for module, _ in modules:
        if module != "pytest":
            assert importlib.util.find_spec(module), module
    from benchmarks.__main__ import parser as bench_parser

    assert bench_parser().parse_args(["--incremental"]).incremental


def test_an_unknown_export_table_lists_the_choices(tmp_path, capsys):
    from shopping_assets.export import EXPORTABLE

    with pytest.raises(SystemExit) as exited:
        main(["export", "--table", "purchases", "--out", str(tmp_path / "x.csv")])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "'purchases'" in err and "purchase_counts_by_week" in err and "Traceback" not in err
    from shopping_assets import cli

    assert set(cli.EXPORTABLE) == set(EXPORTABLE)


DAGSTER = ("dagster", "dagster_snowflake", "dagster_aws", "snowflake.core")


def _importing(*heavy: str) -> str:
    """A program that runs the CLI on its arguments, then prints which of `heavy` it imported."""
    return (
        "import sys\n"
        "from shopping_assets.cli import main\n"
        "try:\n    code = main(sys.argv[1:])\nexcept SystemExit as exit:\n    code = exit.code\n"
        f"print(sorted(m for m in sys.modules if m in {heavy!r}))\n"
        "sys.exit(code)\n"
    )


LIGHT_COMMANDS = (
    ["--help"],
    ["generate", "--help"],
    ["generate", "--customers", "3", "--months", "1", "--out", "{tmp}/input"],
    ["export", "--help"],
    ["export", "--table", "no_such_table", "--out", "{tmp}/x.csv"],
    ["services", "status"],
)


@pytest.mark.parametrize("argv", LIGHT_COMMANDS, ids=" ".join)
def test_commands_that_need_no_warehouse_import_neither_dagster_nor_snowflake(argv, tmp_path):
    """Each process pays for Dagster and the Snowflake libraries (seconds of CPU) only when it
    talks to a warehouse or runs assets."""
    args = [a.format(tmp=tmp_path) for a in argv]
    env = {**os.environ, "SHOPPING_HOME": str(tmp_path / "home")}
    probe = _importing(*DAGSTER, "snowflake.connector")
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, env=env, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr
