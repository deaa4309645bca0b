"""What the dump says about its tables, learnt with pglast.

``CREATE TABLE`` gives columns, types, NOT NULL and generated columns;
``ATTACH PARTITION``, ``PARTITION OF`` and ``INHERITS`` give the parent of a
table, so a rule for a partitioned table covers its leaves; ``COPY`` headers
give the column order of the data that follows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pglast import enums, parse_sql
from pglast.parser import ParseError

from ..errors import DumpError
from ..policy.model import TableName
from ..transforms.base import ColumnInfo

__all__ = [
    "CopyHeader",
    "Schema",
    "TableInfo",
    "parse_alter_table",
    "parse_copy",
    "parse_create_table",
]

# pg_catalog's internal type names, spelt as pg_dump prints them.
_TYPE_NAMES = {
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
    "varchar": "character varying",
    "bpchar": "character",
    "timestamp": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
    "time": "time without time zone",
    "timetz": "time with time zone",
    "interval": "interval",
    "numeric": "numeric",
    "bit": "bit",
    "varbit": "bit varying",
}


@dataclass
class TableInfo:
    """One table the dump created."""

    name: TableName
    columns: list[ColumnInfo] = field(default_factory=list)
    parent: TableName | None = None
    partitioned: bool = False
    line: int = 0

    def column(self, name: str) -> ColumnInfo | None:
        for col in self.columns:
            if col.name == name:
                return col
        return None


@dataclass
class Schema:
    """The tables of one database in the dump (pg_dumpall: reset at each ``\\connect``)."""

    tables: dict[TableName, TableInfo] = field(default_factory=dict)

    def add(self, table: TableInfo) -> None:
        if table.parent is not None and table.parent in self.tables and not table.columns:
            table.columns = list(self.tables[table.parent].columns)
        elif table.parent is not None and table.parent in self.tables:
            # INHERITS: the parent's columns come first, then the child's own.
            own = {c.name for c in table.columns}
            inherited = [c for c in self.tables[table.parent].columns if c.name not in own]
            table.columns = inherited + table.columns
        self.tables[table.name] = table

    def set_parent(self, child: TableName, parent: TableName) -> None:
        info = self.tables.get(child)
        if info is not None:
            info.parent = parent

    def ancestors(self, name: TableName) -> list[TableName]:
        """The chain of parents of ``name``, nearest first (cycles are cut)."""
        chain: list[TableName] = []
        seen = {name}
        info = self.tables.get(name)
        while info is not None and info.parent is not None and info.parent not in seen:
            chain.append(info.parent)
            seen.add(info.parent)
            info = self.tables.get(info.parent)
        return chain


@dataclass(frozen=True)
class CopyHeader:
    """A ``COPY table (cols) FROM stdin;`` statement."""

    table: TableName
    columns: tuple[str, ...] | None  # None: no column list (all columns, or none)


def _parse_one(sql: str, line: int, what: str) -> Any:
    try:
        stmts = parse_sql(sql)
    except ParseError as exc:
        # pglast's message quotes the SQL near the error; SQL text may hold
        # values (defaults, comments), so only the position is kept.
        raise DumpError(
            f"cannot parse this {what} statement (SQL syntax error)", line=line
        ) from exc
    if len(stmts) != 1:
        raise DumpError(f"expected one {what} statement, found {len(stmts)}", line=line)
    return stmts[0].stmt


def _table_name(rv: Any) -> TableName:
    return TableName(rv.schemaname or "public", rv.relname)


def _type_of(type_name: Any) -> tuple[str, int, int | None]:
    names = tuple(n.sval for n in type_name.names)
    if len(names) == 2 and names[0] == "pg_catalog":
        base = _TYPE_NAMES.get(names[1], names[1])
    else:
        base = ".".join(names)
    dims = len(type_name.arrayBounds) if type_name.arrayBounds else 0
    max_length = None
    if base in ("character varying", "character") and type_name.typmods:
        val = getattr(type_name.typmods[0], "val", None)
        ival = getattr(val, "ival", None)
        if isinstance(ival, int):
            max_length = ival
    elif base == "character" and not type_name.typmods:
        max_length = 1  # plain "character" is char(1)
    return base, dims, max_length


def parse_create_table(sql: str, line: int) -> TableInfo | None:
    """Columns of a ``CREATE [UNLOGGED|FOREIGN] TABLE``; None for other CREATE forms.

    ``CREATE TABLE ... AS`` carries rows from a query and is refused.
    """
    stmt = _parse_one(sql, line, "CREATE TABLE")
    kind = type(stmt).__name__
    if kind == "CreateForeignTableStmt":
        stmt = stmt.base
        kind = "CreateStmt"
    if kind == "CreateTableAsStmt":
        raise DumpError(
            "CREATE TABLE ... AS carries rows that scrubphi cannot see; not supported", line=line
        )
    if kind != "CreateStmt":
        return None
    info = TableInfo(name=_table_name(stmt.relation), line=line)
    info.partitioned = stmt.partspec is not None
    if stmt.inhRelations:
        info.parent = _table_name(stmt.inhRelations[0])
    for element in stmt.tableElts or ():
        if type(element).__name__ != "ColumnDef":
            continue
        base, dims, max_length = _type_of(element.typeName)
        not_null = bool(element.is_not_null)
        generated = False
        for con in element.constraints or ():
            if con.contype in (enums.ConstrType.CONSTR_NOTNULL, enums.ConstrType.CONSTR_PRIMARY):
                not_null = True
            elif con.contype == enums.ConstrType.CONSTR_GENERATED:
                generated = True
        info.columns.append(
            ColumnInfo(
                name=element.colname,
                type_name=base,
                array_dims=dims,
                not_null=not_null,
                generated=generated,
                max_length=max_length,
            )
        )
    return info


def parse_alter_table(sql: str, line: int) -> list[tuple[TableName, TableName]]:
    """(child, parent) pairs from ``ATTACH PARTITION`` and ``INHERIT`` clauses."""
    stmt = _parse_one(sql, line, "ALTER TABLE")
    if type(stmt).__name__ != "AlterTableStmt" or stmt.relation is None:
        return []
    pairs: list[tuple[TableName, TableName]] = []
    target = _table_name(stmt.relation)
    for cmd in stmt.cmds or ():
        if cmd.subtype == enums.AlterTableType.AT_AttachPartition:
            pairs.append((_table_name(cmd.def_.name), target))
        elif cmd.subtype == enums.AlterTableType.AT_AddInherit:
            pairs.append((target, _table_name(cmd.def_)))
    return pairs


def parse_copy(sql: str, line: int) -> CopyHeader:
    """A ``COPY ... FROM stdin`` header in text format; anything else is refused."""
    stmt = _parse_one(sql, line, "COPY")
    if type(stmt).__name__ != "CopyStmt" or stmt.relation is None:
        raise DumpError("COPY of a query result is not a form pg_dump writes", line=line)
    table = _table_name(stmt.relation)
    if not stmt.is_from or stmt.filename is not None or stmt.is_program:
        raise DumpError(f"only COPY ... FROM stdin is understood (table {table})", line=line)
    for opt in stmt.options or ():
        name = opt.defname.lower()
        value = getattr(opt.arg, "sval", None)
        if name == "format" and isinstance(value, str) and value.lower() == "text":
            continue
        if name == "freeze":
            continue
        raise DumpError(
            f"COPY option {name!r} is not understood; only the text format pg_dump writes is "
            f"(table {table})",
            line=line,
        )
    columns = None
    if stmt.attlist:
        columns = tuple(item.sval for item in stmt.attlist)
    return CopyHeader(table, columns)
