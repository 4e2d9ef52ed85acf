"""`shopping-pipeline doctor`: will this deployment work? Asked of the deployment itself.

Run as the pipeline runs (its AWS identity, its Snowflake user and role), before the
first backfill. One line per probe, PASS or FAIL with what to do. It writes nothing
but a probe object under `transactions/_doctor/` in the bucket and session-temporary
tables, and removes the object. The load probe runs the pipeline's own SQL on a file
of every line kind the data-quality catalogue knows (with CRLF line ends, a BOM, a
blank line, a backslash and a last line without an end), so what Snowflake's COPY and
parser do on this account is seen, not assumed. The pandas probe goes the pandas IO
manager's way (write_pandas) as far as its COPY: a temporary stage and file format in
MART, a PUT of a Parquet file and INFER_SCHEMA over it. The embedded deployment has no TLS
policy, roles or grants to check: those probes say so and pass.
"""

from __future__ import annotations

import tempfile
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa

from shopping_assets import line_catalogue, tables
from shopping_assets.bootstrap import policies
from shopping_assets.embedded import emulator_gaps
from shopping_assets.partitions import day_key, month_at
from shopping_assets.settings import Settings

PROBE_FOLDER = "transactions/_doctor/"
PROBE_LINES = "DOCTOR_PROBE_LINES"
ARROW_ROWS = 300_000
# A frame of each kind of column the pipeline's DataFrames hold, and the types the emulator
# infers for it as Parquet (emulator_gaps/write_pandas.py), which the pandas probe compares.
PANDAS_PROBE = {
    "N": ([1, 2], "NUMBER(38, 0)"),
    "X": ([0.5, None], "REAL"),
    "T": (["t", None], "TEXT"),
    "D": ([date(2024, 1, 1), None], "DATE"),
    "AT": ([datetime(2024, 1, 1, 9, 30), None], "TIMESTAMP_NTZ(9)"),
}


@dataclass(frozen=True)
class Probe:
    name: str
    passed: bool
    detail: str
    advice: str = ""

    def line(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        return f"{verdict}  {self.name}: {self.detail}" + (
            f" -> {self.advice}" if self.advice and not self.passed else ""
        )


class Doctor:
    def __init__(self, settings: Settings):
        from shopping_assets.resources import build_resources

        self.settings = settings
        resources = build_resources(settings)
        self.lake = resources["lake"]
        self.warehouse = resources["warehouse"]

    # --- S3 ---------------------------------------------------------------------

    def s3_reachable(self) -> Probe:
        client = self.lake.client()
        client.list_objects_v2(Bucket=self.lake.bucket, Prefix=self.lake.prefix, MaxKeys=1)
        where = self.settings.s3_endpoint or f"AWS {self.settings.region}"
        return Probe("s3", True, f"s3://{self.lake.bucket}/{self.lake.prefix} is reachable at {where}")

    def s3_settings(self) -> Iterator[Probe]:
        client, bucket = self.lake.client(), self.lake.bucket
        advice = "run `shopping-pipeline bootstrap` (or give this identity s3:GetBucket* to read the settings)"
        blocked = client.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        yield Probe("s3 public access", all(blocked.values()) and len(blocked) == 4, f"blocked: {blocked}", advice)
        rules = client.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        algorithms = [r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for r in rules]
        yield Probe("s3 encryption", bool(algorithms), f"default encryption {', '.join(algorithms) or 'none'}", advice)
        status = client.get_bucket_versioning(Bucket=bucket).get("Status", "never enabled")
        yield Probe("s3 versioning", status == "Enabled", f"versioning {status}", advice)
        if self.settings.local:
            yield Probe(
                "s3 TLS-only policy", True, "not applicable: the embedded server speaks plain HTTP on 127.0.0.1"
            )
            return
        import json

        document = json.loads(client.get_bucket_policy(Bucket=bucket)["Policy"])
        wanted = policies.tls_only_bucket_policy(bucket)["Statement"][0]
        present = any(
            s.get("Effect") == "Deny" and s.get("Condition") == wanted["Condition"] for s in document["Statement"]
        )
        yield Probe(
            "s3 TLS-only policy", present, "a Deny of aws:SecureTransport=false" if present else "missing", advice
        )

    # --- Snowflake ----------------------------------------------------------------

    def login(self) -> Probe:
        with self.warehouse.session() as session:
            user, role = session.rows("doctor/session")[0]
        wanted = self.settings.role
        ok = not wanted or str(role).upper() == wanted
        return Probe(
            "snowflake login",
            ok,
            f"user {user}, role {role}",
            f"the session runs as {role}, SNOWFLAKE_ROLE is {wanted}",
        )

    def grants(self) -> Probe:
        if self.settings.local:
            return Probe("snowflake grants", True, "not applicable: the emulator has no roles or grants")
        from shopping_assets.bootstrap import grants as grant_model
        from shopping_assets.bootstrap import plan
        from shopping_assets.bootstrap.config import BootstrapConfig

        config = BootstrapConfig.from_env(settings=self.settings)
        objects, roles = grant_model.parse(step.sql for step in plan.sql_steps(plan.build(config)))
        role = self.settings.role or config.account("pipeline").role
        held = grant_model.roles_held(role, roles)
        with self.warehouse.session() as session:
            shown = {r: session.run("doctor/grants", {"role": r}) for r in sorted(held)}
            shown = {r: _show_rows(cursor) for r, cursor in shown.items()}
            future = {
                schema: _show_rows(session.run("doctor/future_grants", {"schema": schema}))
                for schema in ("RAW", "STAGING", "MART")
            }
        missing = missing_grants({g for g in objects if g.role in held}, shown, future)
        detail = f"{role} holds {', '.join(sorted(held - {role})) or 'no other role'}; " + (
            f"missing: {'; '.join(missing[:5])}" if missing else "every grant of bootstrap's plan is in place"
        )
        return Probe("snowflake grants", not missing, detail, "rerun `shopping-pipeline bootstrap`")

    def objects(self) -> Probe:
        with self.warehouse.session() as session:
            columns = session.rows("doctor/base_tables")
            views = session.rows("doctor/views")
            user_role = session.rows("doctor/session")[0][1]
        found: dict[str, list[str]] = {}
        for schema, name, column, _type in columns:
            found.setdefault(f"{schema}.{name}".upper(), []).append(str(column).upper())
        owners = {f"{schema}.{name}".upper(): str(owner).upper() for schema, name, owner in views}
        problems = []
        for table in tables.ALL:
            key = f"{table.schema}.{table.name}"
            if table.kind == "table" and found.get(key) != [c.name for c in table.columns]:
                problems.append(f"{key} has columns {found.get(key)}")
            if table.kind == "view" and table.schema == "STAGING" and key not in owners:
                problems.append(f"view {key} is missing")
        if not self.settings.local:  # the emulator names no real owner
            for key, owner in owners.items():
                if key.startswith("MART.") and owner != str(user_role).upper():
                    problems.append(f"{key} is owned by {owner}, so {user_role} cannot replace it")
        detail = "; ".join(problems[:4]) or f"{len(found)} tables and {len(owners)} views as sql/setup creates them"
        return Probe(
            "snowflake objects", not problems, detail, "run `shopping-pipeline bootstrap` (it brings them up to date)"
        )

    def stage(self) -> Probe:
        if self.settings.local:
            return Probe("stage", True, "not applicable: the emulator's stage has no storage integration to trust")
        with self.warehouse.session() as session:
            listed = session.rows("doctor/stage_listing")
        return Probe(
            "stage",
            True,
            f"LIST @RAW.INPUT_STAGE/reference/ answers: the integration's trust works ({len(listed)} objects)",
        )

    def load(self) -> Iterator[Probe]:
        """The probe file through the pipeline's own COPY, line handling and classification."""
        month = f"{line_catalogue.DAY[:7]}-01"
        # laid out as the pipeline's keys are, .../transactions/YYYY/MM/YYYY-MM-DD.json, under a folder of its own
        folder = f"{PROBE_FOLDER}{uuid.uuid4().hex[:12]}/"
        key = f"{folder}{day_key(date.fromisoformat(line_catalogue.DAY))}"
        span = {"first_month": month, "last_month": month, "month_at": month_at(self.lake.prefix + folder)}
        expected, body = probe_file(self.settings.local)
        client = self.lake.client()
        client.put_object(Bucket=self.lake.bucket, Key=self.lake.prefix + key, Body=body)
        names = {"lines": PROBE_LINES}
        try:
            with self.warehouse.session() as session:
                session.run("doctor/probe_lines_table", names)
                session.run("raw/transaction_lines_stage")
                session.run("raw/transaction_lines_copy", files=[key])
                session.run("raw/transaction_lines_replace", names, **span)
                loaded = session.rows("doctor/probe_lines", names)
                session.run("staging/transaction_line_checks", names, **span)
                reasons = dict(session.rows("doctor/probe_reasons"))
                parsed = {
                    text: bool(session.rows("doctor/json_parses", line=text)[0][0])
                    for text, reason in line_catalogue.CATALOGUE
                    if reason == "malformed_json"
                }
        finally:
            client.delete_object(Bucket=self.lake.bucket, Key=self.lake.prefix + key)
        got = [(int(n), text) for _, n, text in loaded]
        want = [(n, text) for n, (text, _) in enumerate(expected, start=1)]
        files = {source for source, _, _ in loaded}
        if got == want:
            yield Probe(
                "load lines", True, f"{len(got)} lines with CRLF ends, a BOM and a blank line, numbered 1..{len(got)}"
            )
        else:
            advice = "compare RAW.LINE_FORMAT with sql/setup/02_file_formats.sql (rerun bootstrap)"
            yield Probe("load lines", False, f"first difference: {_first_difference(got, want)}", advice)
        key_ok = files == {self.lake.prefix + key}
        yield Probe(
            "load file names",
            key_ok,
            f"METADATA$FILENAME gives {sorted(files)}",
            f"the pipeline expects the key {self.lake.prefix + key}",
        )
        wrong = {
            n: (reasons.get(n), reason) for n, (_, reason) in enumerate(expected, start=1) if reasons.get(n) != reason
        }
        lenient = sum(parsed.values())
        yield Probe(
            "line rules",
            not wrong,
            f"{len(expected)} lines classified as the catalogue says; Snowflake's parser alone took {lenient} of "
            f"{len(parsed)} malformed lines, the strictness rule quarantined them"
            if not wrong
            else f"lines classified otherwise (line: got, want): {dict(list(wrong.items())[:4])}",
            "report it: a rule in sql/staging/transaction_line_checks.sql behaves differently here",
        )

    def regexp(self) -> Probe:
        with self.warehouse.session() as session:
            partial, whole = session.rows("doctor/regexp_anchoring")[0]
        ok = (bool(partial), bool(whole)) == (False, True)
        return Probe(
            "regexp anchoring", ok, f"REGEXP_LIKE('ab', 'a') is {partial}, REGEXP_LIKE('ab', 'a.*') is {whole}"
        )

    def arrow(self) -> Probe:
        from shopping_assets.export import sql_batches

        schema = pa.schema([("n", pa.int64()), ("small", pa.int64())])
        batches = rows = total = 0
        for batch in sql_batches(self.warehouse, "doctor/arrow_batches", schema, rows=ARROW_ROWS):
            batches, rows = batches + 1, rows + batch.num_rows
            total += sum(batch["n"].to_pylist())
        ok = rows == ARROW_ROWS and total == ARROW_ROWS * (ARROW_ROWS - 1) // 2
        return Probe("arrow batches", ok, f"{rows} rows in {batches} batches, each cast to the declared int64 schema")

    def pandas_writes(self) -> Probe:
        """write_pandas' statements up to its COPY, as the pipeline's role in MART."""
        import pandas as pd
        import snowflake.connector

        frame = pd.DataFrame({name: values for name, (values, _) in PANDAS_PROBE.items()})
        advice = "rerun `shopping-pipeline bootstrap`: the role needs CREATE STAGE and CREATE FILE FORMAT on MART"
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "probe.parquet"
            frame.to_parquet(path, compression="gzip")  # as write_pandas writes its chunks
            try:
                with self.warehouse.session() as session:
                    session.run("doctor/pandas_write_objects")
                    session.run("doctor/pandas_write_put", file_url=path.as_uri())
                    inferred = dict(session.rows("doctor/pandas_write_infer_schema"))
            except snowflake.connector.errors.ProgrammingError as error:
                return Probe("pandas writes", False, str(error.msg), advice)
        emulator = {name: kind for name, (_, kind) in PANDAS_PROBE.items()}
        differs = {name: emulator.get(name) for name, kind in inferred.items() if emulator.get(name) != kind}
        detail = f"a temporary stage and file format in MART, a PUT, INFER_SCHEMA: {inferred}" + (
            f"; the emulator infers {differs} there (report it)" if differs else ", as the emulator infers them"
        )
        return Probe("pandas writes", set(inferred) == set(emulator), detail, "see INFER_SCHEMA's answer")

    def table_sizes(self) -> Probe:
        """The size the warehouse assets report (dagster/size_bytes), from INFORMATION_SCHEMA.TABLES."""
        if self.settings.local:
            return Probe("table sizes", True, "not applicable: the emulator keeps no table sizes, so assets show none")
        with self.warehouse.session() as session:
            size = session.size(tables.RAW_TRANSACTION_LINES).get("dagster/size_bytes")
        name = tables.RAW_TRANSACTION_LINES.qualified(self.settings.database)
        return Probe(
            "table sizes",
            size is not None,
            f"INFORMATION_SCHEMA.TABLES gives {name} {size} bytes",
            "the warehouse assets will show no size: see what INFORMATION_SCHEMA.TABLES shows the pipeline's role",
        )

    def probes(self) -> Iterator[Callable[[], Probe | Iterator[Probe]]]:
        yield from (
            self.s3_reachable,
            self.s3_settings,
            self.login,
            self.grants,
            self.objects,
            self.stage,
            self.load,
            self.regexp,
            self.arrow,
            self.pandas_writes,
            self.table_sizes,
        )


def _show_rows(cursor) -> list[dict]:
    names = [column[0].lower() for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# the object kind of an ALL/FUTURE grant as SHOW GRANTS names it
SHOWN_KIND = {"TABLES": "TABLE", "VIEWS": "VIEW", "STAGES": "STAGE", "FILE FORMATS": "FILE_FORMAT"}


def missing_grants(planned: set, shown: dict[str, list[dict]], future: dict[str, list[dict]]) -> list[str]:
    """Planned grants that SHOW GRANTS TO ROLE / SHOW FUTURE GRANTS IN SCHEMA do not list.

    A direct grant must appear as its (privilege, granted_on, name); a FUTURE grant as a
    row of its schema's future grants to the role; an ALL grant as the privilege on at
    least one object of its kind in the schema (bootstrap creates them before it grants).
    """
    missing = []
    for grant in sorted(planned, key=lambda g: (g.role, g.on, g.name, g.privilege)):
        rows = shown.get(grant.role, [])
        scope, _, plural = grant.on.partition(" ")
        if scope in {"ALL", "FUTURE"}:
            kind = SHOWN_KIND[plural.removesuffix(" IN SCHEMA")]
            if scope == "FUTURE":
                candidates = future.get(grant.name.split(".")[1], [])
                ok = any(
                    (r.get("privilege"), r.get("grant_on"), r.get("grantee_name"))
                    == (grant.privilege, kind, grant.role)
                    for r in candidates
                )
            else:
                ok = any(
                    (r.get("privilege"), r.get("granted_on")) == (grant.privilege, kind)
                    and str(r.get("name", "")).replace('"', "").upper().startswith(grant.name + ".")
                    for r in rows
                )
        else:
            ok = any(
                (r.get("privilege"), r.get("granted_on"), str(r.get("name", "")).replace('"', "").upper())
                == (grant.privilege, grant.on, grant.name)
                for r in rows
            )
        if not ok:
            missing.append(f"{grant.privilege} ON {grant.on} {grant.name} TO {grant.role}")
    return missing


def probe_file(emulator: bool) -> tuple[list[tuple[str, str | None]], bytes]:
    """(each line as RAW keeps it, with the reason it must get), and the file's bytes."""
    good = [line_catalogue.good("C1"), line_catalogue.good("C\\2", (("P02", 7),))]  # a backslash kept as it is
    expected: list[tuple[str, str | None]] = [(good[0], None), ("", "empty_line")]
    expected += [(text, reason) for text, reason in line_catalogue.CATALOGUE]
    expected.append((emulator_gaps.REPEATED_KEY_LINE, emulator_gaps.repeated_key_reason(emulator)))
    expected.append((good[1], None))
    body = "\ufeff" + "\r\n".join(text for text, _ in expected[:-1]) + "\r\n" + expected[-1][0]  # no last line end
    return expected, body.encode()


def _first_difference(got: list, want: list) -> str:
    for a, b in zip(got, want, strict=False):
        if a != b:
            return f"line {b[0]}: got {a[1]!r}, want {b[1]!r}"
    return f"{len(got)} lines, want {len(want)}"


def run(settings: Settings) -> list[Probe]:
    doctor = Doctor(settings)
    results: list[Probe] = []
    for probe in doctor.probes():
        name = probe.__name__.replace("_", " ")
        try:
            outcome = probe()
            results += [outcome] if isinstance(outcome, Probe) else list(outcome)
        except Exception as error:
            message = getattr(error, "msg", None) or str(error) or traceback.format_exception_only(error)[-1].strip()
            results.append(Probe(name, False, f"{type(error).__name__}: {message}", "see the message"))
    return results
