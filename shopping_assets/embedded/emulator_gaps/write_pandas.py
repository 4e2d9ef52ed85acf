"""What `write_pandas` needs of the emulator: SnowflakePandasIOManager's write path.

snowflake-connector-python 4.8.1's write_pandas, as dagster-snowflake-pandas 0.29.27 calls
it (auto_create_table, use_logical_type, quote_identifiers), sends in one session:

    CREATE TEMP STAGE IDENTIFIER(?) FILE_FORMAT=(TYPE=PARQUET ...)      ? = '"DB"."S"."SNOWPARK_TEMP_STAGE_X"'
    PUT 'file:///tmp/.../file0.txt' ?                                  ? = '@"DB"."S"."SNOWPARK_TEMP_STAGE_X"'
    CREATE TEMP FILE FORMAT IDENTIFIER(?) TYPE=PARQUET ... USE_LOGICAL_TYPE = TRUE
    SELECT COLUMN_NAME, TYPE FROM TABLE(INFER_SCHEMA(LOCATION=>?, FILE_FORMAT=>?))
    CREATE TABLE IF NOT EXISTS IDENTIFIER(?) ("COL" TYPE, ...)
    COPY INTO IDENTIFIER(?) ("COL", ...) FROM (SELECT $1:"COL"::TYPE, ... FROM '@"DB"."S"."SNOWPARK_TEMP_STAGE_X"')
        FILE_FORMAT=(TYPE=PARQUET ...) PURGE=TRUE ON_ERROR=?

after dagster's own `DELETE FROM db.schema.table` (whose "does not exist" it ignores).
Each function below closes one gap fakesnow 0.12.1 has there, by replacing one of its
module functions (so fakesnow is pinned exactly); `install` applies them all.
"""

from __future__ import annotations

import re

# several names, each quoted, as write_pandas binds them: '"DB"."SCHEMA"."NAME"'
_QUOTED_PARTS = re.compile(r'"(?:[^"]|"")+"(?:\."(?:[^"]|"")+"){1,2}')


def _identifier_argument(expression):
    """What IDENTIFIER(...) names, when `expression` is a table named so; else None."""
    from sqlglot import exp

    if not isinstance(expression, exp.Table):
        return None
    if isinstance(expression.this, exp.Anonymous) and str(expression.this.this).upper() == "IDENTIFIER":
        return expression.this.expressions[0]
    return expression.this.this if isinstance(expression.this, exp.DynamicIdentifier) else None


def identifiers_of_quoted_parts() -> None:
    """IDENTIFIER('"DB"."S"."T"') names T in DB.S; fakesnow took a string starting and ending
    with a quote for one name, so write_pandas's stage landed nowhere its PUT could find."""
    import fakesnow.transforms as transforms
    from fakesnow.params import pop_qmark_param
    from sqlglot import exp

    original = transforms.identifier

    def identifier(expression, params):
        argument = _identifier_argument(expression)
        if isinstance(argument, exp.Placeholder):
            # bound here, where the placeholder's position is known; fakesnow reads the literal after
            value = pop_qmark_param(params, argument.root(), argument)
            argument = argument.replace(exp.Literal.string(str(value)))
        if isinstance(argument, exp.Literal) and _QUOTED_PARTS.fullmatch(argument.name):
            return exp.to_table(argument.name, dialect="snowflake")
        return original(expression, params)

    transforms.identifier = identifier


# What INFER_SCHEMA reports for a Parquet column, by DuckDB's type of it, as Snowflake infers
# with USE_LOGICAL_TYPE = TRUE (what write_pandas asks for): whole numbers of any width are
# NUMBER(38, 0), floating point REAL, text TEXT, timestamps timestamps.
INFERRED_TYPES = {
    **dict.fromkeys(
        ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"),
        "NUMBER(38, 0)",
    ),
    **dict.fromkeys(("FLOAT", "DOUBLE"), "REAL"),
    **dict.fromkeys(("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"), "TIMESTAMP_NTZ(9)"),
    **dict.fromkeys(("TIME", "TIME_NS"), "TIME(9)"),
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP_LTZ(9)",
    "VARCHAR": "TEXT",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "BLOB": "BINARY",
}
INFER_SCHEMA_COLUMNS = ("COLUMN_NAME", "TYPE", "NULLABLE", "EXPRESSION", "FILENAMES", "ORDER_ID")


def inferred_type(duck_type: str) -> str:
    if decimal := re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", duck_type):
        return f"NUMBER({decimal[1]}, {decimal[2]})"
    if duck_type.endswith("]"):
        return "ARRAY"
    if duck_type.startswith(("STRUCT", "MAP")):
        return "OBJECT"
    return INFERRED_TYPES.get(duck_type, "VARIANT")


def _infer_schema_arguments(call, statement, params) -> dict[str, str]:
    """LOCATION, FILE_FORMAT, ... of INFER_SCHEMA(...), bound values resolved."""
    from fakesnow.params import pop_qmark_param
    from sqlglot import exp

    arguments = {}
    for argument in call.expressions:
        value = argument.expression
        if isinstance(value, exp.Placeholder):
            # replaced by its value, so the placeholders after it keep their positions
            value = value.replace(exp.Literal.string(str(pop_qmark_param(params, statement, value))))
        arguments[argument.this.name.upper()] = value.name
    return arguments


def _staged_parquet_columns(cursor, arguments: dict[str, str]) -> list[tuple]:
    """INFER_SCHEMA's rows for the Parquet files on a stage (all of them: no FILES, as write_pandas asks)."""
    import snowflake.connector.errors
    from fakesnow import copy_into
    from fakesnow.transforms.file_format import lookup_file_format
    from sqlglot import exp

    conn, duck = cursor._conn, cursor._duck_conn
    location = arguments.pop("LOCATION", "")
    options = lookup_file_format(duck, arguments.pop("FILE_FORMAT", ""), conn.database, conn.schema)
    if arguments or str(options.get("TYPE")).upper() != "PARQUET":
        raise NotImplementedError(f"INFER_SCHEMA of {options.get('TYPE')} files with {sorted(arguments)}")
    if not location.startswith("@"):
        raise snowflake.connector.errors.ProgrammingError(
            msg=f"SQL compilation error:\ninvalid value [{location}] for parameter 'LOCATION'",
            errno=1008,
            sqlstate="22023",
        )
    where = copy_into.stage_url_from_var(
        location[1:], duck, conn.database, conn.schema, conn.table_stages, exp.to_table("_")
    )
    found: dict[str, tuple[str, list[str]]] = {}  # column -> (its type, the files that have it)
    for url in copy_into._source_glob(where, duck):
        parquet = copy_into.ReadParquet().read_expression(url).sql(dialect="duckdb")
        for name, duck_type, *_ in duck.execute(f"DESCRIBE SELECT * FROM {parquet}").fetchall():
            found.setdefault(name, (inferred_type(duck_type), []))[1].append(copy_into._result_file_name(url))
    return [
        (name, kind, True, f'$1:"{name}"::{kind}', ", ".join(files), order)
        for order, (name, (kind, files)) in enumerate(found.items())
    ]


def _rows(rows: list[tuple], alias):
    """A subquery of INFER_SCHEMA's columns holding `rows` (none: an empty result of the same columns)."""
    from sqlglot import exp

    if rows:
        select = exp.select("*").from_(exp.values(rows, alias="t", columns=list(INFER_SCHEMA_COLUMNS)))
    else:
        select = exp.select(*(exp.alias_(exp.null(), name) for name in INFER_SCHEMA_COLUMNS)).where(exp.false())
    return exp.Subquery(this=select, alias=alias)


def infer_schema_of_staged_parquet() -> None:
    """TABLE(INFER_SCHEMA(LOCATION => '@stage', FILE_FORMAT => 'format')) answers from the staged
    Parquet files' own schema; fakesnow cannot parse it. The call becomes a VALUES subquery
    before fakesnow's transforms, so any query around it (write_pandas selects COLUMN_NAME, TYPE) runs."""
    from fakesnow.cursor import FakeSnowflakeCursor
    from sqlglot import exp

    original = FakeSnowflakeCursor._transform

    def _transform(self, expression, params):
        for node in list(expression.find_all(exp.TableFromRows)):
            if isinstance(node.this, exp.Anonymous) and node.this.name.upper() == "INFER_SCHEMA":
                arguments = _infer_schema_arguments(node.this, expression, params)
                node.replace(_rows(_staged_parquet_columns(self, arguments), node.args.get("alias")))
        return original(self, expression, params)

    FakeSnowflakeCursor._transform = _transform


def copy_from_a_stage_named_in_a_string() -> None:
    """COPY INTO t FROM (SELECT ... FROM '@"DB"."S"."STAGE"'): write_pandas names its stage as a
    string; fakesnow read only @stage there ("invalid URL prefix")."""
    from fakesnow import copy_into
    from sqlglot import exp

    original = copy_into._from_source

    def _from_source(copy):
        select = copy.args["files"][0].this
        source = select.args.get("from_") if isinstance(select, exp.Select) else None
        table = source.this if source else None
        if isinstance(table, exp.Table) and isinstance(table.this, exp.Literal) and table.this.name.startswith("@"):
            return table.this.name
        return original(copy)

    copy_into._from_source = _from_source


def copy_columns_keep_their_quotes() -> None:
    """$1:"AT"::TIMESTAMP_NTZ(9) in a COPY transformation reads the column "AT", quoted: fakesnow
    left it bare, and a name DuckDB reads as a keyword (AT) or with a space failed to parse.
    DuckDB matches quoted names regardless of case too, so nothing else changes.

    By the time COPY runs, fakesnow's transforms have made a cast $1:"X" a JSONExtractScalar
    ($1 ->> '$.X'); an uncast one stays a JSONExtract. Both must become the column: a $1 left
    in the INSERT is a DuckDB parameter, and the COPY failed with "Values were not provided
    for the following parameters: 1"."""
    from fakesnow import copy_into
    from sqlglot import exp

    dollar_1 = exp.Parameter(this=exp.Literal.number(1))
    extractions = (exp.JSONExtract, exp.JSONExtractScalar)

    def _strip_json_extract(select):
        extracts = [p.parent for p in select.find_all(exp.Parameter) if p == dollar_1]
        for extract in extracts:
            if isinstance(extract, extractions) and (key := extract.expression.find(exp.JSONPathKey)):
                extract.replace(exp.column(exp.to_identifier(key.this, quoted=True)))
        return select

    copy_into._strip_json_extract = _strip_json_extract


_MISSING_TABLE = re.compile(r"Catalog Error: Table with name (\S+) does not exist!")


def missing_tables_as_snowflake_words_them() -> None:
    """A missing table fails with Snowflake's "Object 'X' does not exist or not authorized.", not
    DuckDB's catalog error: dagster-snowflake's DELETE before every write ignores only that text,
    so the first write of a table failed."""
    import snowflake.connector.errors
    from fakesnow.cursor import FakeSnowflakeCursor

    original = FakeSnowflakeCursor.execute

    def execute(self, command, *args, **kwargs):
        try:
            return original(self, command, *args, **kwargs)
        except snowflake.connector.errors.ProgrammingError as error:
            if error.errno != 2003 or not (missing := _MISSING_TABLE.search(error.msg or "")):
                raise
            raise snowflake.connector.errors.ProgrammingError(
                msg=f"SQL compilation error:\nObject '{missing[1]}' does not exist or not authorized.",
                errno=2003,
                sqlstate="42S02",
            ) from None

    FakeSnowflakeCursor.execute = execute


_TEMPORARY = "_shopping_temporary_objects"


def _marking_temporary(create):
    """fakesnow's CREATE STAGE (or FILE FORMAT) transform, noting (kind, database, schema, name)
    on what it makes of a TEMP one."""
    from sqlglot import exp

    def transform(expression, database, schema):
        made = create(expression, database, schema)
        if made is not expression and expression.find(exp.TemporaryProperty):
            table = expression.find(exp.Table)
            kind = str(expression.args["kind"]).upper()
            made.args[_TEMPORARY] = (kind, table.catalog or database, table.db or schema, table.name)
        return made

    return transform


def _drop_temporary(duck_conn, kind: str, database: str, schema: str, name: str) -> None:
    import shutil

    from fakesnow.transforms import stage

    registry = {"STAGE": "_fs_stages", "FILE FORMAT": "_fs_file_formats"}[kind]
    # a cursor of its own, so the drop commits whatever the closing session's transaction does
    with duck_conn.cursor() as own:
        own.execute(
            f"DELETE FROM _fs_global._fs_information_schema.{registry} "
            "WHERE database_name = ? AND schema_name = ? AND name = ?",
            (database, schema, name),
        )
    if kind == "STAGE":
        shutil.rmtree(stage.internal_dir(f"{database}.{schema}.{name}"), ignore_errors=True)


def temporary_stages_and_formats_end_with_their_session() -> None:
    """Snowflake drops a session's temporary stages and file formats when the session ends;
    fakesnow kept them, and each stage's folder on disk, one of each per write_pandas call."""
    import duckdb
    import fakesnow.transforms as transforms
    from fakesnow.conn import FakeSnowflakeConnection
    from fakesnow.cursor import FakeSnowflakeCursor

    transforms.create_stage = _marking_temporary(transforms.create_stage)
    transforms.create_file_format = _marking_temporary(transforms.create_file_format)
    original_execute, original_close = FakeSnowflakeCursor.execute, FakeSnowflakeConnection.close

    def execute(self, command, *args, **kwargs):
        result = original_execute(self, command, *args, **kwargs)
        if self._last_transformed is not None and (made := self._last_transformed.args.get(_TEMPORARY)):
            self._conn.__dict__.setdefault(_TEMPORARY, set()).add(made)
        return result

    def close(self, retry: bool = True) -> None:
        for made in self.__dict__.pop(_TEMPORARY, ()):
            try:
                _drop_temporary(self._duck_conn, *made)
            except duckdb.Error as error:  # the session closes whatever happens
                print(f"emulator: could not drop temporary {' '.join(made)}: {error}", flush=True)
        original_close(self, retry)

    FakeSnowflakeCursor.execute = execute
    FakeSnowflakeConnection.close = close


def install() -> None:
    identifiers_of_quoted_parts()
    infer_schema_of_staged_parquet()
    copy_from_a_stage_named_in_a_string()
    copy_columns_keep_their_quotes()
    missing_tables_as_snowflake_words_them()
    temporary_stages_and_formats_end_with_their_session()
