"""`shopping-pipeline bootstrap --audit`: may the pipeline's roles run every statement they run?

Offline, with no credentials: every statement of `sql/` that runs after bootstrap is
rendered as production runs it (production identifiers, values bound by the
connector), parsed with sqlglot's Snowflake dialect and mapped to the privileges
Snowflake's docs ask of it, on which object. Those are checked against the grants in
bootstrap's own plan, through the role hierarchy the plan builds. A missing
privilege is one line naming the statement's file, the privilege and the object.

What needs what (Snowflake's access-control docs): any object needs USAGE on its
database and schema; reading SELECT; INSERT, UPDATE, DELETE theirs; COPY INTO needs
USAGE on the stage, its file format and (COPY's usage notes) the stage's storage
integration; LIST the stage's, PUT its WRITE; a temporary table no CREATE privilege;
CREATE VIEW the schema's CREATE VIEW, and replacing an object made by someone else its
OWNERSHIP; any other CREATE, IF NOT EXISTS or not, temporary or not, its CREATE privilege
on the parent (a temporary stage too: UNDROP STAGE's docs say so of every stage type, and
write_pandas falls back to the session's schema when the role lacks it in the target).
The role that creates an object owns it and needs nothing more on it. Statements the
pandas IO manager sends from library code are declared in `io_manager.py` and audited
with these.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from shopping_assets import statements as sql
from shopping_assets.bootstrap import grants as grant_model
from shopping_assets.bootstrap.config import BootstrapConfig

# Who runs what: the pipeline's session everything but the data scientists' queries.
PIPELINE_FOLDERS = ("raw", "staging", "mart", "export", "doctor", "metadata")
READER_FOLDERS = ("reader",)

# A value for every bound parameter a run-time statement takes (their values do not
# change the privileges a statement needs).
SAMPLE_VALUES = {
    "month": "2024-01-01",
    "first_month": "2024-01-01",
    "last_month": "2024-02-01",
    "month_at": 14,
    "files": ["transactions/2024/01/2024-01-01.json", "transactions/2024/01/2024-01-02.json"],
    "source_file": "reference/customers.csv",
    "source": "customers",
    "customer_id": "C1",
    "product_id": "P01",
    "first_monday": "2024-01-08",
    "last_monday": "2024-01-22",
    "line": '{"customer_id": "C1"}',
    "rows": 300000,
    "file_url": "file:///tmp/doctor/probe.parquet",
    "as_of": "2024-01-01 00:00:00",
    "dated": True,
    "digest": "0" * 64,
    "valid_rows": 137,
    "opened": 1,
    "closed": 1,
    "after": "2024-01-01",
    "schema": "STAGING",
    "table": "TRANSACTION_ITEMS",
}

PLURAL = {"TABLE": "TABLES", "VIEW": "VIEWS", "STAGE": "STAGES", "FILE FORMAT": "FILE FORMATS"}
PARENT = {"SCHEMA": "DATABASE"}  # what a CREATE needs its privilege on; others: the schema


@dataclass(frozen=True)
class Statement:
    source: str  # the sql/ file, e.g. raw/transaction_lines_copy
    text: str  # as the connector sends it
    role: str  # the Snowflake role whose session runs it

    @property
    def where(self) -> str:
        """The sql/ file, or the library code that sends a declared statement ("package: function")."""
        return self.source if ":" in self.source else f"sql/{self.source}.sql"


@dataclass(frozen=True)
class Need:
    privilege: str
    kind: str  # WAREHOUSE, DATABASE, SCHEMA, INTEGRATION, TABLE, VIEW, STAGE, FILE FORMAT
    name: str

    def __str__(self) -> str:
        return f"{self.privilege} on {self.kind} {self.name}"


@dataclass
class Inventory:
    """What exists once bootstrap has run, and what a session makes for itself."""

    kinds: dict[str, str] = field(default_factory=dict)  # qualified name -> TABLE, VIEW, STAGE, FILE FORMAT
    integrations: dict[str, str] = field(default_factory=dict)  # stage -> its storage integration
    # what the run-time statements create, by the role that runs them (which then owns it)
    owners: dict[str, str] = field(default_factory=dict)


# --- the statements ---------------------------------------------------------------


def _variants(config: BootstrapConfig) -> list[list[dict[str, str]]]:
    """Each family of identifier sets the code passes to its SQL files."""
    from shopping_assets import doctor, reference_history
    from shopping_assets.defs.mart import views as mart
    from shopping_assets.defs.reference import assets as reference
    from shopping_assets.defs.transactions import raw_lines
    from shopping_assets.export import EXPORTABLE

    exports = [{"schema": t.schema, "name": t.name, "order": order} for t, order in EXPORTABLE.values()]
    pipeline = config.account("pipeline")
    return [
        [ref.identifiers for ref in reference.TABLES],
        [history.identifiers for history in reference_history.HISTORIES],
        [mart.period_identifiers(period) for period in mart.DAY_OF],
        exports,
        [raw_lines.LINES, {"lines": doctor.PROBE_LINES}],
        [
            {"role": role}
            for role in (pipeline.role, *(a.role for a in config.accounts if a.kind in {"loader", "transformer"}))
        ],
    ]


def _identifier_sets(name: str, config: BootstrapConfig) -> list[dict[str, str]]:
    base = {"database": config.database, "storage_integration": config.storage_integration}
    wanted = sql.placeholders(name) - set(base)
    if not wanted:
        return [base]
    for family in _variants(config):
        if wanted <= set(family[0]):
            return [{**base, **names} for names in family]
    raise KeyError(f"sql/{name}.sql takes {sorted(wanted)}, which no caller's names supply")


def files(folders: Iterable[str]) -> list[str]:
    return sorted(
        str(path.relative_to(sql.SQL_DIR))[: -len(".sql")]
        for folder in folders
        for path in (sql.SQL_DIR / folder).glob("*.sql")
    )


def run_time_statements(config: BootstrapConfig) -> list[Statement]:
    """Every statement of sql/ that runs after bootstrap, rendered as production runs it."""
    roles = {"pipeline": config.account("pipeline").role, "reader": config.account("reader").role}
    found = []
    for role, folders in (("pipeline", PIPELINE_FOLDERS), ("reader", READER_FOLDERS)):
        for name in files(folders):
            for identifiers in _identifier_sets(name, config):
                for statement in sql.render(name, identifiers):
                    values = {key: SAMPLE_VALUES[key] for key in sql.values(statement)}
                    found.append(Statement(name, sql.bind(statement, values), roles[role]))
    return found


def library_statements(config: BootstrapConfig) -> list[Statement]:
    """What the pandas IO manager sends for each table it writes, in the pipeline's session."""
    from shopping_assets.bootstrap import io_manager

    role = config.account("pipeline").role
    return [
        Statement(where, text, role)
        for table in io_manager.WRITTEN
        for where, text in io_manager.statements(table, config.database)
    ]


# --- what a statement needs ----------------------------------------------------------


def _qualified(table: exp.Table, database: str) -> str:
    parts = [part for part in (table.catalog, table.db, table.name) if part]
    if len(parts) == 1:
        parts = [database, "RAW", *parts]  # the session's schema
    elif len(parts) == 2:
        parts = [database, *parts]
    return ".".join(part.upper() for part in parts)


def _stage(table: exp.Table) -> str | None:
    """The stage a FROM reads: @STAGE, or '@STAGE' in a string as write_pandas writes it."""
    literal = isinstance(table.this, exp.Literal) and table.this.is_string
    name = table.this.name if isinstance(table.this, exp.Var) or literal else ""
    return _stage_name(name) if name.startswith("@") else None


def _stage_name(reference: str) -> str:
    """STAGE or DB.SCHEMA.STAGE of '@"DB"."SCHEMA"."STAGE"/path' (names are upper case when quoted)."""
    return reference.strip("'").removeprefix("@").split("/")[0].replace('"', "").upper()


def _is_temporary(create: exp.Create) -> bool:
    properties = create.args.get("properties")
    return bool(properties and any(isinstance(p, exp.TemporaryProperty) for p in properties.expressions))


def _schema_of(name: str) -> str:
    return name.rsplit(".", 1)[0]


class _Reader:
    """The needs of one parsed statement, given what exists and who made it."""

    def __init__(self, inventory: Inventory, database: str, role: str):
        self.inventory = inventory
        self.database = database
        self.role = role
        self.needs: list[Need] = []

    def owns(self, name: str) -> bool:
        return self.inventory.owners.get(name) == self.role

    def use(self, name: str) -> None:
        database, schema, _ = name.split(".")
        self.needs += [Need("USAGE", "DATABASE", database), Need("USAGE", "SCHEMA", f"{database}.{schema}")]

    def on(self, privilege: str, name: str, kind: str | None = None) -> None:
        self.use(name)
        if not self.owns(name):
            self.needs.append(Need(privilege, kind or self.inventory.kinds.get(name, "TABLE"), name))

    def reads(self, tree: exp.Expression, skip: set[str]) -> None:
        ctes = {cte.alias_or_name.upper() for cte in tree.find_all(exp.CTE)}
        for table in tree.find_all(exp.Table):
            if stage := _stage(table):
                self.stage(stage)
                continue
            if not isinstance(table.this, exp.Identifier) or table.name.upper() in ctes:
                continue  # a table function (FLATTEN, GENERATOR) or a CTE
            name = _qualified(table, self.database)
            if name not in skip and ".INFORMATION_SCHEMA." not in name:
                self.on("SELECT", name)
        for call in tree.find_all(exp.TableFromRows):
            if isinstance(call.this, exp.Anonymous) and call.this.name.upper() == "INFER_SCHEMA":
                arguments = {a.this.name.upper(): a.expression.name for a in call.this.expressions}
                self.stage(_stage_name(arguments["LOCATION"]))
                self.on("USAGE", self.qualify(arguments["FILE_FORMAT"]), "FILE FORMAT")

    def qualify(self, name: str) -> str:
        """A schema object's full name (the session's schema is RAW), without quotes."""
        parts = name.replace('"', "").upper().split(".")
        return ".".join([self.database, "RAW"][: 3 - len(parts)] + parts)

    def stage(self, name: str, privilege: str = "USAGE") -> None:
        name = self.qualify(name)
        self.on(privilege, name, "STAGE")
        if integration := self.inventory.integrations.get(name):
            self.needs.append(Need("USAGE", "INTEGRATION", integration))

    def statement(self, tree: exp.Expression, text: str) -> None:
        if isinstance(tree, exp.Copy):
            target = _qualified(tree.this.find(exp.Table), self.database)
            self.on("INSERT", target)
            for option in tree.find_all(exp.Property):
                if option.name.upper() == "FORMAT_NAME":
                    self.on("USAGE", str(option.args["value"].name).upper(), "FILE FORMAT")
            self.reads(tree, {target})
        elif isinstance(tree, exp.Create):
            self.create(tree, text)
        elif isinstance(tree, (exp.Insert, exp.Delete, exp.Update)):
            target = _qualified(tree.find(exp.Table), self.database)
            privilege = {exp.Insert: "INSERT", exp.Delete: "DELETE", exp.Update: "UPDATE"}[type(tree)]
            self.on(privilege, target)
            self.reads(tree, {target})
        elif isinstance(tree, exp.ListStage):
            self.stage(_stage_name(tree.this.name))
        elif isinstance(tree, exp.Put):
            self.stage(_stage_name(tree.args["target"].name), "WRITE")
        elif isinstance(tree, exp.Describe):
            # any privilege on the table lets a role describe it: the pipeline's is SELECT
            self.on("SELECT", _qualified(tree.find(exp.Table), self.database))
        elif isinstance(tree, exp.Query):
            self.reads(tree, set())
        elif isinstance(tree, exp.Command) and str(tree.this).upper() == "SHOW":
            pass  # SHOW lists what the role may see already
        elif not isinstance(tree, (exp.Transaction, exp.Commit, exp.Rollback, exp.Show)):
            raise ValueError(f"the audit cannot tell what this statement needs: {text[:80]}")

    def create(self, tree: exp.Create, text: str) -> None:
        kind = str(tree.args.get("kind", "")).upper()
        target = tree.find(exp.Table)
        name = _qualified(target, self.database) if kind != "SCHEMA" else ""
        replacing = bool(tree.args.get("replace")) or " OR ALTER " in f" {text.upper()} "
        if kind == "SCHEMA":
            parts = [p.upper() for p in (target.catalog, target.db, target.name) if p]
            schema = ".".join(parts if len(parts) == 2 else [self.database, *parts])
            self.needs += [
                Need("USAGE", "DATABASE", schema.split(".")[0]),
                Need("CREATE SCHEMA", "DATABASE", schema.split(".")[0]),
            ]
            return
        if kind == "TABLE" and _is_temporary(tree):
            self.use(name)  # a temporary table needs no CREATE privilege
        else:
            self.use(name)
            self.needs.append(Need(f"CREATE {kind}", "SCHEMA", _schema_of(name)))
            if replacing and name in self.inventory.kinds and not self.owns(name):
                self.needs.append(Need("OWNERSHIP", kind, name))  # replacing what bootstrap made
        if expression := tree.args.get("expression"):
            self.reads(expression, {name})


def _parse(text: str) -> exp.Expression:
    # sqlglot warns (on its logger) for SHOW statements it keeps as a Command, which the audit reads
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    return sqlglot.parse_one(text, read="snowflake")


def needs(statement: Statement, inventory: Inventory, database: str) -> list[Need]:
    tree = _parse(statement.text)
    reader = _Reader(inventory, database, statement.role)
    reader.statement(tree, statement.text)
    return reader.needs


def _created_at_run_time(statements: Iterable[Statement], inventory: Inventory, database: str) -> None:
    """Record who creates what at run time: the role that creates an object owns it."""
    for statement in statements:
        tree = _parse(statement.text)
        kind = str(tree.args.get("kind", "")).upper() if isinstance(tree, exp.Create) else ""
        if kind in {"TABLE", "VIEW", "STAGE", "FILE FORMAT"}:
            name = _qualified(tree.find(exp.Table), database)
            if name not in inventory.kinds:  # replacing what bootstrap made does not make it the role's
                inventory.owners[name] = statement.role
                inventory.kinds[name] = kind


def inventory(config: BootstrapConfig) -> Inventory:
    """The objects bootstrap's pipeline-object steps create, by kind (and each stage's integration)."""
    from shopping_assets.bootstrap import snowflake_steps as snowflake

    found = Inventory()
    for step in snowflake.pipeline_object_steps(config):
        tree = sqlglot.parse_one(step.sql.replace("%(stage_url)s", "'s3://x/'"), read="snowflake")
        if not isinstance(tree, exp.Create):
            continue
        name = _qualified(tree.find(exp.Table), config.database)
        found.kinds[name] = str(tree.args["kind"]).upper()
        for prop in tree.find_all(exp.Property):
            if prop.name.upper() == "STORAGE_INTEGRATION":
                found.integrations[name] = prop.args["value"].name.upper()
    return found


# --- against the grants ---------------------------------------------------------------


def _granted(need: Need, role: str, objects: set, roles: set) -> bool:
    held = grant_model.roles_held(role, roles)
    for grant in objects:
        if grant.role not in held or grant.privilege != need.privilege:
            continue
        if grant.on == need.kind and grant.name == need.name:
            return True
        plural = PLURAL.get(need.kind)
        in_schema = grant.on in (f"ALL {plural} IN SCHEMA", f"FUTURE {plural} IN SCHEMA")
        if plural and in_schema and grant.name == _schema_of(need.name):
            return True
    return False


def findings(config: BootstrapConfig, statements: Iterable[Statement] | None = None) -> list[str]:
    """One line per privilege a run-time statement needs that bootstrap's plan does not grant."""
    from shopping_assets.bootstrap import plan

    steps = plan.sql_steps(plan.build(config))
    objects, roles = grant_model.parse(step.sql for step in steps)
    found = inventory(config)
    if statements is None:
        statements = [*run_time_statements(config), *library_statements(config)]
    statements = list(statements)
    _created_at_run_time(statements, found, config.database)
    lines: list[str] = []
    for role in sorted({s.role for s in statements}):
        warehouse = Need("USAGE", "WAREHOUSE", config.warehouse)
        if not _granted(warehouse, role, objects, roles):
            lines.append(f"every session of {role}: {warehouse}: not granted to {role}")
    for statement in statements:
        for need in dict.fromkeys(needs(statement, found, config.database)):
            if not _granted(need, statement.role, objects, roles):
                lines.append(f"{statement.where}: {need}: not granted to {statement.role}")
    return list(dict.fromkeys(lines))


def report(config: BootstrapConfig) -> Iterator[str]:
    ours, library = run_time_statements(config), library_statements(config)
    problems = findings(config, [*ours, *library])
    yield from problems
    sources = len({s.source for s in ours})
    verdict = f"{len(problems)} missing privileges" if problems else "every privilege is granted"
    yield (
        f"audit: {len(ours)} run-time statements from {sources} files and {len(library)} the pandas IO manager "
        f"sends, against bootstrap's grants: {verdict}"
    )
