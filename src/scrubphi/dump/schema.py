"""What the dump says about its tables, learnt with pglast (libpg_query's JSON trees).

``CREATE TABLE`` gives columns, types, NOT NULL and generated columns, in
PostgreSQL's order: a typed table (``OF type``) has its composite type's
columns (``CREATE TYPE ... AS``), and an inheriting table has every parent's
columns first, merged by name in the order of ``INHERITS``, then its own.
``ATTACH PARTITION`` and ``PARTITION OF`` make a table a partition, covered by
its partitioned parent's rule; ``INHERITS`` and ``ALTER TABLE ... INHERIT``
make it a child, which is a table of its own (see
:meth:`Schema.inheritance_ancestors`).  Unqualified names (pg_dump 10.2 and
older write ``SET search_path = clinic, pg_catalog;`` and leave names bare)
resolve by the search path.  ``COPY`` headers give the column order of the
data that follows.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, TypeVar

from ..errors import DumpError
from ..policy.model import TableName
from ..transforms.base import ColumnInfo
from .pgparse import ParseError, parse_statements

__all__ = [
    "CheckConstraint",
    "CopyHeader",
    "ForeignKey",
    "Schema",
    "TableInfo",
    "UniqueKey",
    "check_statement",
    "parse_alter_table",
    "parse_call",
    "parse_copy",
    "parse_create_table",
    "parse_create_type",
    "parse_domain",
    "parse_search_path",
    "parse_unique_index",
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


_T = TypeVar("_T")

# Built-in types pg_dump writes bare (pg_catalog is searched first): never a domain.
_BUILTIN_TYPES = frozenset(_TYPE_NAMES.values()) | frozenset(_TYPE_NAMES) | frozenset({
    "text", "date", "uuid", "json", "jsonb", "bytea", "inet", "cidr", "macaddr", "macaddr8",
    "money", "xml", "name", "oid", "tsvector", "tsquery", "point", "line", "lseg", "box",
    "path", "polygon", "circle", "daterange", "tsrange", "tstzrange", "int4range",
    "int8range", "numrange", "regclass", "char", "pg_lsn", "txid_snapshot", "jsonpath"})

# COPY's options (an error names only these: the statement may be a damaged data line).
_COPY_OPTIONS = frozenset(
    [
        "format", "freeze", "delimiter", "null", "default", "header", "quote", "escape",
        "force_quote", "force_not_null", "force_null", "on_error", "encoding",
        "log_verbosity", "reject_limit", "binary", "csv", "oids",
    ]
)


class UniqueKey(NamedTuple):
    """A PRIMARY KEY, a UNIQUE constraint or a unique index: rows it keeps distinct.

    pg_dump writes them after the data (``ALTER TABLE ... ADD CONSTRAINT``,
    ``CREATE UNIQUE INDEX``); a transform that maps two values of a key to one
    makes the restore fail there (see :mod:`.restore_checks`).
    """

    table: TableName
    name: str
    #: "PRIMARY KEY", "UNIQUE", "UNIQUE INDEX", or "EXCLUDE" (no two rows may conflict
    #: under its operators: overlapping ranges of one room...).
    kind: str
    #: The columns it reads, in order (an index expression's columns included).
    columns: tuple[str, ...]
    #: False for ``NULLS NOT DISTINCT``: two NULLs collide too.
    nulls_distinct: bool = True
    line: int = 0


class ForeignKey(NamedTuple):
    """A FOREIGN KEY: ``columns`` of ``table`` refer to ``ref_columns`` of ``ref_table``
    (empty: its primary key)."""

    table: TableName
    name: str
    columns: tuple[str, ...]
    ref_table: TableName
    ref_columns: tuple[str, ...]
    line: int = 0


class CheckConstraint(NamedTuple):
    """A CHECK constraint of a table and the columns its expression reads."""

    table: TableName
    name: str
    columns: tuple[str, ...]
    #: False for ``NO INHERIT``: it binds this table's own rows only.
    inherit: bool = True
    line: int = 0


@dataclass
class TableInfo:
    """One table the dump created."""

    name: TableName
    columns: list[ColumnInfo] = field(default_factory=list)
    #: The partitioned table this one is a partition of (ATTACH PARTITION, PARTITION OF).
    partition_of: TableName | None = None
    #: Inheritance parents, in the order of INHERITS (then ALTER TABLE ... INHERIT).
    inherits: list[TableName] = field(default_factory=list)
    #: A typed table's composite type (CREATE TABLE ... OF type).
    of_type: TableName | None = None
    partitioned: bool = False
    #: A partitioned table's strategy (``range``, ``list``, ``hash``) and the columns its
    #: partition key reads (``PARTITION BY RANGE (seen)``, expressions' columns too).
    partition_strategy: str = ""
    partition_key: tuple[str, ...] = ()
    #: A partition that takes the rows no other partition does (``DEFAULT``).
    default_partition: bool = False
    line: int = 0
    #: Its primary key, unique constraints and unique indexes, as they are learnt.
    unique_keys: list[UniqueKey] = field(default_factory=list)
    #: Its foreign keys, as they are learnt.
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    #: Its own CHECK constraints (validated ones: NOT VALID binds no existing row).
    checks: list[CheckConstraint] = field(default_factory=list)

    def add_constraint(self, key: UniqueKey | ForeignKey | CheckConstraint) -> None:
        """Learn a key, foreign key or CHECK constraint (once).  The lists are replaced,
        never changed in place: a run's copy of a learnt schema shares them."""
        if isinstance(key, CheckConstraint):
            if key not in self.checks:
                self.checks = [*self.checks, key]
        elif isinstance(key, ForeignKey):
            if key not in self.foreign_keys:
                self.foreign_keys = [*self.foreign_keys, key]
        elif key not in self.unique_keys:
            self.unique_keys = [*self.unique_keys, key]

    def column(self, name: str) -> ColumnInfo | None:
        for col in self.columns:
            if col.name == name:
                return col
        return None


@dataclass
class Schema:
    """The tables of one database in the dump (pg_dumpall: reset at each ``\\connect``)."""

    tables: dict[TableName, TableInfo] = field(default_factory=dict)
    #: Composite types (CREATE TYPE ... AS), for typed tables.
    types: dict[TableName, list[ColumnInfo]] = field(default_factory=dict)
    #: Schemas of ``SET search_path`` (pg_catalog left out); bare names resolve by it.
    search_path: tuple[str, ...] = ("public",)
    #: Domains (CREATE DOMAIN), by their name as a column's type reads (``public.ssn_t``):
    #: the base type's column info (``name`` empty) with the domain's NOT NULL and CHECK.
    domains: dict[str, ColumnInfo] = field(default_factory=dict)
    #: Enum types (CREATE TYPE ... AS ENUM), by name as a column's type reads: labels.
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def with_domain(self, col: ColumnInfo) -> ColumnInfo:
        """``col`` with its domain's base type, NOT NULL and CHECK (domains of domains
        resolved when each was created); unchanged when its type is not a domain."""
        domain = self._created_type(self.domains, col.type_name)
        if domain is None:
            return col
        return replace(col, type_name=domain.type_name,
                       array_dims=col.array_dims + domain.array_dims,
                       max_length=domain.max_length, numeric=domain.numeric,
                       not_null=col.not_null or domain.not_null,
                       check_domain=col.check_domain or domain.check_domain)

    def enum_labels(self, type_name: str) -> tuple[str, ...] | None:
        """The labels of an enum type as a column's type reads, or None."""
        return self._created_type(self.enums, type_name)

    def composite(self, type_name: str) -> list[ColumnInfo] | None:
        """The attributes of a composite type (``CREATE TYPE ... AS``, or a table's row
        type) as a column's type reads, or None; a bare name by the search path."""
        if not type_name or type_name in _BUILTIN_TYPES:
            return None
        schema, dot, name = type_name.partition(".")
        key = TableName(schema, name) if dot else self.resolve_type(type_name)
        found = self.types.get(key)
        if found is None and key in self.tables:
            found = self.tables[key].columns
        return found

    def _created_type(self, created: dict[str, _T], type_name: str) -> _T | None:
        """What ``created`` holds for a column's type name: the name as written, or a
        bare name (old pg_dump, SET search_path) in the first schema of the search path
        that has a domain or an enum of that name (types share one namespace); a bare
        built-in type is pg_catalog's, never a created one."""
        found = created.get(type_name)
        if found is not None or "." in type_name or not type_name or \
                type_name in _BUILTIN_TYPES:
            return found
        for candidate in self.search_path:
            qualified = f"{candidate}.{type_name}"
            if qualified in self.domains or qualified in self.enums:
                return created.get(qualified)
        return None

    def add(self, table: TableInfo) -> None:
        """Learn a table; its columns are put in PostgreSQL's order."""
        if table.of_type is not None:
            table.columns = _typed_columns(self.types.get(table.of_type), table)
        parent = self.tables.get(table.partition_of) if table.partition_of else None
        if parent is not None and not table.columns:
            table.columns = list(parent.columns)
        elif table.inherits:
            # Every parent's columns first, merged by name in the order of INHERITS; a
            # column the child declares again keeps its inherited place.
            own = {c.name: c for c in table.columns}
            merged: dict[str, ColumnInfo] = {}
            for name in table.inherits:
                for col in self.tables[name].columns if name in self.tables else ():
                    if col.name not in merged:
                        merged[col.name] = own.get(col.name, col)
            for col in table.columns:
                merged.setdefault(col.name, col)
            table.columns = list(merged.values())
        self.tables[table.name] = table

    def set_partition(self, child: TableName, parent: TableName, default: bool = False) -> None:
        info = self.tables.get(child)
        if info is not None:
            info.partition_of = parent
            info.default_partition = default

    def set_not_null(self, table: TableName, column: str) -> None:
        """``ALTER TABLE table ALTER COLUMN column SET NOT NULL``."""
        info = self.tables.get(table)
        if info is not None:
            info.columns = [replace(c, not_null=True) if c.name == column else c
                            for c in info.columns]

    def add_key(self, key: UniqueKey | ForeignKey | CheckConstraint) -> None:
        """A key, foreign key or CHECK constraint of a table it knows."""
        info = self.tables.get(key.table)
        if info is not None:
            info.add_constraint(key)

    def add_inherit(self, child: TableName, parent: TableName) -> None:
        """``ALTER TABLE child INHERIT parent``: the child already has every column."""
        info = self.tables.get(child)
        if info is not None and parent not in info.inherits:
            info.inherits.append(parent)

    def ancestors(self, name: TableName) -> list[TableName]:
        """The partitioned tables ``name`` is a partition of, nearest first (cycles cut)."""
        chain: list[TableName] = []
        seen = {name}
        info = self.tables.get(name)
        while info is not None and info.partition_of is not None and \
                info.partition_of not in seen:
            chain.append(info.partition_of)
            seen.add(info.partition_of)
            info = self.tables.get(info.partition_of)
        return chain

    def inheritance_ancestors(self, name: TableName) -> list[TableName]:
        """Every table ``name`` inherits from, directly or not, nearest first.

        Why separate from :meth:`ancestors`: a partition has exactly its
        parent's columns and no rows of its own kind, so the parent's rule is
        its rule; an inheriting child is a table of its own with columns of its
        own, so only rules that *name* a column reach it (the rewriter's
        coverage).  All parents count, not only the first.
        """
        order: list[TableName] = []
        seen = {name}
        queue = list(self.tables[name].inherits) if name in self.tables else []
        while queue:
            current = queue.pop(0)
            if current in seen:
                continue
            seen.add(current)
            order.append(current)
            info = self.tables.get(current)
            if info is not None:
                queue.extend(info.inherits)
        return order

    def resolve(self, schema: str | None, name: str) -> TableName:
        """A table reference: qualified as written, else by the search path."""
        if schema is not None:
            return TableName(schema, name)
        return self._along_path(name, self.tables)

    def resolve_type(self, name: str) -> TableName:
        """A bare composite type name, by the search path."""
        return self._along_path(name, self.types)

    def _along_path(self, name: str, known: Container[TableName]) -> TableName:
        """The first schema of the search path that has ``name``, else the first schema."""
        for candidate in self.search_path:
            if TableName(candidate, name) in known:
                return TableName(candidate, name)
        return TableName(self.search_path[0], name)

    def set_search_path(self, schemas: list[str]) -> None:
        """``SET search_path``: pg_catalog is searched implicitly, so it is left out."""
        path = tuple(s for s in schemas if s and s != "pg_catalog" and not s.startswith("$"))
        self.search_path = path or ("public",)


@dataclass(frozen=True)
class CopyHeader:
    """A ``COPY table (cols) FROM stdin;`` statement."""

    table: TableName
    columns: tuple[str, ...] | None  # None: no column list (all columns, or none)


def _parse_one(sql: str, line: int, what: str) -> tuple[str, dict[str, Any]]:
    """The one statement of ``sql``: its node name and fields (see :mod:`.pgparse`)."""
    try:
        stmts = parse_statements(sql)
    except ParseError as exc:
        # pglast's message quotes the SQL near the error; SQL text may hold
        # values (defaults, comments), so only the position is kept.
        raise DumpError(
            f"cannot parse this {what} statement (SQL syntax error)", line=line
        ) from exc
    if len(stmts) != 1:
        raise DumpError(f"expected one {what} statement, found {len(stmts)}", line=line)
    return stmts[0]


def _node(value: Any, kind: str) -> dict[str, Any] | None:
    """The fields of ``value`` when it is a ``kind`` node (``{"kind": {...}}``), else None."""
    if isinstance(value, dict) and len(value) == 1 and kind in value:
        fields = value[kind]
        return fields if isinstance(fields, dict) else None
    return None


def _svals(nodes: Any) -> list[str]:
    """The strings of a list of String nodes (names, column lists)."""
    return [(_node(n, "String") or {}).get("sval", "") for n in nodes or ()]


def check_statement(sql: str, line: int) -> None:
    """Refuse anything but exactly one statement that PostgreSQL's parser accepts."""
    _parse_one(sql, line, "SQL")


def _table_name(rv: dict[str, Any], schema: Schema | None = None, *,
                create: bool = False) -> TableName:
    """A RangeVar as a table: qualified as written; bare, by the search path.

    A bare name that is created goes to the first schema of the path; a bare
    name that is referred to is the first table of that name along the path.
    """
    relname = rv.get("relname", "")
    if rv.get("schemaname"):
        return TableName(rv["schemaname"], relname)
    if schema is None:
        return TableName("public", relname)
    if create:
        return TableName(schema.search_path[0], relname)
    return schema.resolve(None, relname)


def _typed_columns(type_columns: list[ColumnInfo] | None, table: TableInfo) -> list[ColumnInfo]:
    """A typed table's columns: its type's, with the table's options (NOT NULL) applied."""
    if type_columns is None:
        raise DumpError(
            f"table {table.name} is a typed table (OF {table.of_type}) whose CREATE TYPE was "
            "not seen; its columns are unknown",
            line=table.line,
        )
    options = {c.name: c for c in table.columns}
    return [
        ColumnInfo(
            name=c.name,
            type_name=c.type_name,
            array_dims=c.array_dims,
            not_null=c.not_null or (c.name in options and options[c.name].not_null),
            generated=c.generated,
            max_length=c.max_length,
            numeric=c.numeric,
        )
        for c in type_columns
    ]


def _type_of(type_name: dict[str, Any]) -> tuple[str, int, int | None, tuple[int, int] | None]:
    names = _svals(type_name.get("names"))
    if len(names) == 2 and names[0] == "pg_catalog":
        base = _TYPE_NAMES.get(names[1], names[1])
    else:
        base = ".".join(names)
    dims = len(type_name.get("arrayBounds") or ())
    max_length = None
    typmods = type_name.get("typmods")
    if base in ("character varying", "character") and typmods:
        const = _node(typmods[0], "A_Const")
        if const is not None and "ival" in const:  # an integer constant (0 is {})
            max_length = int(const["ival"].get("ival", 0))
    elif base == "character" and not typmods:
        max_length = 1  # plain "character" is char(1)
    numeric: tuple[int, int] | None = None
    if base == "numeric" and typmods and len(typmods) <= 2:
        # numeric(p) and numeric(p, s) (s may be negative): what a value may hold
        consts = [_node(t, "A_Const") or {} for t in typmods]
        if all("ival" in c for c in consts):
            mods = [int(c["ival"].get("ival", 0)) for c in consts]
            numeric = (mods[0], mods[1] if len(mods) == 2 else 0)
    return base, dims, max_length, numeric


def parse_create_table(sql: str, line: int, schema: Schema | None = None) -> TableInfo | None:
    """Columns of a ``CREATE [UNLOGGED|FOREIGN] TABLE``; None for other CREATE forms.

    ``CREATE TABLE ... AS`` carries rows from a query and is refused.  The
    columns are the ones the statement declares; :meth:`Schema.add` puts in
    the inherited and typed ones.
    """
    kind, stmt = _parse_one(sql, line, "CREATE TABLE")
    if kind == "CreateForeignTableStmt":
        stmt = stmt["base"]
        kind = "CreateStmt"
    if kind == "CreateTableAsStmt":
        raise DumpError(
            "CREATE TABLE ... AS carries rows that scrubphi cannot see; not supported", line=line
        )
    if kind != "CreateStmt":
        return None
    info = TableInfo(name=_table_name(stmt["relation"], schema, create=True), line=line)
    info.partitioned = "partspec" in stmt
    if info.partitioned:
        spec = stmt["partspec"]
        info.partition_strategy = str(spec.get("strategy", "")).rsplit("_", 1)[-1].lower()
        info.partition_key = _index_columns(spec.get("partParams") or (), "PartitionElem")
    parents = [_table_name(_node(rv, "RangeVar") or {}, schema)
               for rv in stmt.get("inhRelations") or ()]
    if "partbound" in stmt and parents:
        info.partition_of = parents[0]  # CREATE TABLE ... PARTITION OF
        info.default_partition = bool(stmt["partbound"].get("is_default"))
    else:
        info.inherits = parents
    if "ofTypename" in stmt:
        names = _svals(stmt["ofTypename"].get("names"))
        info.of_type = TableName(*names) if len(names) == 2 else (
            schema.resolve_type(names[-1]) if schema is not None
            else TableName("public", names[-1]))
    for item in stmt.get("tableElts") or ():
        element = _node(item, "ColumnDef")
        if element is None:
            key = _key(_node(item, "Constraint") or {}, info.name, line, (), schema)
            if key is not None:
                info.add_constraint(key)
            continue
        colname = element.get("colname", "")
        for con in element.get("constraints") or ():
            key = _key(_node(con, "Constraint") or {}, info.name, line, (colname,), schema)
            if key is not None:
                info.add_constraint(key)
        if "typeName" not in element:
            # A typed table's or partition's column options ("pid NOT NULL", "WITH
            # OPTIONS DEFAULT ..."): the column comes from the type or the parent.
            info.columns.append(ColumnInfo(name=colname, not_null=_not_null(element)))
            continue
        base, dims, max_length, numeric = _type_of(element["typeName"])
        not_null = _not_null(element)
        generated = "CONSTR_GENERATED" in _contypes(element)
        col = ColumnInfo(
            name=colname,
            type_name=base,
            array_dims=dims,
            not_null=not_null,
            generated=generated,
            max_length=max_length,
            numeric=numeric,
        )
        info.columns.append(schema.with_domain(col) if schema is not None else col)
    return info


def _contypes(element: dict[str, Any]) -> list[str]:
    """The kinds of a ColumnDef's constraints (``"CONSTR_NOTNULL"``...)."""
    return [(_node(con, "Constraint") or {}).get("contype", "")
            for con in element.get("constraints") or ()]


def _not_null(element: dict[str, Any]) -> bool:
    return bool(element.get("is_not_null")) or any(
        contype in ("CONSTR_NOTNULL", "CONSTR_PRIMARY") for contype in _contypes(element)
    )


def parse_create_type(
    sql: str, line: int, schema: Schema | None = None
) -> tuple[TableName, list[ColumnInfo]] | None:
    """A composite type (``CREATE TYPE t AS (...)``): its name and attributes; else None.

    An enum (``CREATE TYPE t AS ENUM (...)``) is learnt into ``schema.enums``."""
    kind, stmt = _parse_one(sql, line, "CREATE TYPE")
    if kind == "CreateEnumStmt" and schema is not None:
        schema.enums[_type_key(stmt.get("typeName"), schema)] = tuple(_svals(stmt.get("vals")))
    if kind != "CompositeTypeStmt":
        return None
    columns = []
    for item in stmt.get("coldeflist") or ():
        element = _node(item, "ColumnDef") or {}
        base, dims, max_length, numeric = _type_of(element.get("typeName") or {})
        col = ColumnInfo(name=element.get("colname", ""), type_name=base, array_dims=dims,
                         max_length=max_length, numeric=numeric)
        columns.append(schema.with_domain(col) if schema is not None else col)
    return _table_name(stmt["typevar"], schema, create=True), columns


def _type_key(names: Any, schema: Schema) -> str:
    """A created type's name as a qualified column type reads (``public.ssn_t``); a bare
    one (old pg_dump) is created in the first schema of the search path."""
    parts = _svals(names)
    return ".".join(parts) if len(parts) > 1 else f"{schema.search_path[0]}.{parts[0]}"


def parse_domain(sql: str, line: int, schema: Schema) -> None:
    """Learn a ``CREATE DOMAIN`` (its base type, NOT NULL, whether it has a CHECK) or an
    ``ALTER DOMAIN`` that adds a constraint; other statements are only checked to be one
    statement."""
    kind, stmt = _parse_one(sql, line, "DOMAIN")
    if kind == "CreateDomainStmt":
        name = _type_key(stmt.get("domainname"), schema)
        base, dims, max_length, numeric = _type_of(stmt.get("typeName") or {})
        contypes = [(_node(con, "Constraint") or {}).get("contype")
                    for con in stmt.get("constraints") or ()]
        schema.domains[name] = schema.with_domain(ColumnInfo(
            name="", type_name=base, array_dims=dims, max_length=max_length, numeric=numeric,
            not_null="CONSTR_NOTNULL" in contypes,
            check_domain=name if "CONSTR_CHECK" in contypes else None))
    elif kind == "AlterDomainStmt":
        name = _type_key(stmt.get("typeName"), schema)
        domain = schema.domains.get(name)
        subtype = stmt.get("subtype")  # "C": ADD CONSTRAINT, "O": SET NOT NULL
        contype = (_node(stmt.get("def"), "Constraint") or {}).get("contype") \
            if subtype == "C" else None
        if domain is not None and contype == "CONSTR_CHECK":
            schema.domains[name] = replace(domain, check_domain=domain.check_domain or name)
        elif domain is not None and (subtype == "O" or contype == "CONSTR_NOTNULL"):
            schema.domains[name] = replace(domain, not_null=True)


def parse_search_path(sql: str, line: int) -> list[str] | None:
    """The schemas of ``SET search_path = a, b``; None for other SET statements."""
    kind, stmt = _parse_one(sql, line, "SET")
    if kind != "VariableSetStmt" or (stmt.get("name") or "").lower() != "search_path":
        return None
    # each value is a constant; a string's is its text, any other's ''
    return [str(((_node(arg, "A_Const") or {}).get("sval") or {}).get("sval", ""))
            for arg in stmt.get("args") or ()]


class AlterTable(NamedTuple):
    """What an ``ALTER TABLE`` tells about the schema (a named tuple: the classes of
    this module that a run makes once are not dataclasses, whose generated methods
    cost every run's start-up a compile)."""

    #: (child, parent, whether DEFAULT): ``ATTACH PARTITION``.
    partitions: list[tuple[TableName, TableName, bool]]
    #: (child, parent): ``INHERIT``.
    inherits: list[tuple[TableName, TableName]]
    #: (table, column): ``ALTER COLUMN ... SET NOT NULL`` (pg_dump's form for a NOT NULL
    #: an inheritance child adds to an inherited column).
    not_null: list[tuple[TableName, str]]
    #: ``ADD CONSTRAINT ... PRIMARY KEY | UNIQUE | EXCLUDE | FOREIGN KEY | CHECK``.
    keys: list[UniqueKey | ForeignKey | CheckConstraint]


def parse_alter_table(sql: str, line: int, schema: Schema | None = None) -> AlterTable:
    """Partitions, inheritance, NOT NULL and unique keys an ``ALTER TABLE`` adds."""
    kind, stmt = _parse_one(sql, line, "ALTER TABLE")
    found = AlterTable([], [], [], [])
    if kind != "AlterTableStmt" or "relation" not in stmt:
        return found
    target = _table_name(stmt["relation"], schema)
    for item in stmt.get("cmds") or ():
        cmd = _node(item, "AlterTableCmd") or {}
        subtype = cmd.get("subtype")
        if subtype == "AT_AttachPartition":
            partition = _node(cmd.get("def"), "PartitionCmd") or {}
            found.partitions.append((_table_name(partition.get("name") or {}, schema), target,
                                     bool((partition.get("bound") or {}).get("is_default"))))
        elif subtype == "AT_AddInherit":
            found.inherits.append((target, _table_name(_node(cmd.get("def"), "RangeVar") or {},
                                                       schema)))
        elif subtype == "AT_SetNotNull" and cmd.get("name"):
            found.not_null.append((target, str(cmd["name"])))
        elif subtype == "AT_AddConstraint":
            key = _key(_node(cmd.get("def"), "Constraint") or {}, target, line, (), schema)
            if key is not None:
                found.keys.append(key)
    return found


def _key(con: dict[str, Any], table: TableName, line: int, column: tuple[str, ...] = (),
         schema: Schema | None = None) -> UniqueKey | ForeignKey | CheckConstraint | None:
    """A PRIMARY KEY, UNIQUE, EXCLUDE, FOREIGN KEY or CHECK constraint (a column's own:
    ``column``); None for others.

    ``... USING INDEX name`` makes a constraint of a unique index already read.
    """
    contype = con.get("contype")
    if contype == "CONSTR_CHECK":
        if con.get("skip_validation"):  # NOT VALID: the rows restored are not checked
            return None
        reads = tuple(dict.fromkeys(_column_refs(con.get("raw_expr")))) or column
        return CheckConstraint(table, str(con.get("conname") or ""), reads,
                               not con.get("is_no_inherit"), line)
    if contype == "CONSTR_FOREIGN" and con.get("pktable"):
        return ForeignKey(table, str(con.get("conname") or ""),
                          tuple(_svals(con.get("fk_attrs"))) or column,
                          _table_name(con["pktable"], schema), tuple(_svals(con.get("pk_attrs"))),
                          line)
    if contype == "CONSTR_EXCLUSION":
        # EXCLUDE USING gist (room WITH =, during WITH &&): each element is (IndexElem, ops)
        names = _index_columns(((_node(pair, "List") or {}).get("items") or [None])[0]
                               for pair in con.get("exclusions") or ())
        return UniqueKey(table, str(con.get("conname") or ""), "EXCLUDE", names,
                         True, line) if names else None
    if contype not in ("CONSTR_PRIMARY", "CONSTR_UNIQUE") or con.get("indexname"):
        return None
    columns = tuple(_svals(con.get("keys"))) or column
    if not columns:
        return None
    return UniqueKey(table, str(con.get("conname") or ""),
                     "PRIMARY KEY" if contype == "CONSTR_PRIMARY" else "UNIQUE", columns,
                     not con.get("nulls_not_distinct"), line)


def parse_unique_index(sql: str, line: int, schema: Schema | None = None) -> UniqueKey | None:
    """A ``CREATE UNIQUE INDEX``'s key; None for any other index.

    An expression (``lower(email)``) reads the columns it names; a partial index's
    ``WHERE`` is not weighed (its key is judged as if every row were in it).
    """
    kind, stmt = _parse_one(sql, line, "CREATE INDEX")
    if kind != "IndexStmt" or not stmt.get("unique") or "relation" not in stmt:
        return None
    columns = _index_columns(stmt.get("indexParams") or ())
    if not columns:
        return None
    return UniqueKey(_table_name(stmt["relation"], schema), str(stmt.get("idxname") or ""),
                     "UNIQUE INDEX", columns, not stmt.get("nulls_not_distinct"), line)


def _index_columns(elements: Iterable[Any], kind: str = "IndexElem") -> tuple[str, ...]:
    """The columns index elements (or a partition key's, ``kind`` ``PartitionElem``) read,
    each once: a column's name, or the columns an expression names (``lower(email)``)."""
    names: list[str] = []
    for item in elements:
        elem = _node(item, kind) or {}
        names.extend([elem["name"]] if elem.get("name") else _column_refs(elem.get("expr")))
    return tuple(dict.fromkeys(names))


def _column_refs(tree: Any) -> list[str]:
    """The column names an expression tree refers to (ColumnRef's last field), in order."""
    found: list[str] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            ref = _node(node, "ColumnRef")
            if ref is not None:
                names = _svals(ref.get("fields"))
                if names and names[-1]:
                    found.append(names[-1])
                continue
            stack.extend(reversed(list(node.values())))
    return found


def parse_copy(sql: str, line: int, schema: Schema | None = None) -> CopyHeader:
    """A ``COPY ... FROM stdin`` header in text format; anything else is refused."""
    kind, stmt = _parse_one(sql, line, "COPY")
    if kind != "CopyStmt" or "relation" not in stmt:
        raise DumpError("COPY of a query result is not a form pg_dump writes", line=line)
    table = _table_name(stmt["relation"], schema)
    if not stmt.get("is_from") or "filename" in stmt or stmt.get("is_program"):
        raise DumpError(f"only COPY ... FROM stdin is understood (table {table})", line=line)
    for item in stmt.get("options") or ():
        opt = _node(item, "DefElem") or {}
        name = opt.get("defname", "").lower()
        string = _node(opt.get("arg"), "String")
        value = string.get("sval", "") if string is not None else None
        if name == "format" and isinstance(value, str) and value.lower() == "text":
            continue
        if name == "freeze":
            continue
        shown = repr(name) if name in _COPY_OPTIONS else "an option"
        raise DumpError(
            f"COPY option {shown} is not understood; only the text format pg_dump writes is "
            f"(table {table})",
            line=line,
        )
    columns = None
    if stmt.get("attlist"):
        columns = tuple(_svals(stmt["attlist"]))
    return CopyHeader(table, columns)


def parse_call(sql: str, line: int) -> str | None:
    """The function of ``SELECT pg_catalog.fn(constants)``, when that is the whole statement.

    pg_dump's SELECTs (``setval``, ``set_config``, ``lo_open``...) call one
    function on constants; a statement that also selects something else, has
    a FROM, WHERE or INTO, or passes a non-constant is not one of them, so
    the rewriter refuses it (only the start of a statement is not enough:
    ``SELECT pg_catalog.setval(...), 'value' INTO t`` writes a value into a
    table).  None when the statement is not exactly one such call.
    """
    kind, stmt = _parse_one(sql, line, "SELECT")
    if kind != "SelectStmt" or len(stmt.get("targetList") or ()) != 1:
        return None
    for clause in ("intoClause", "fromClause", "whereClause", "groupClause", "havingClause",
                   "windowClause", "valuesLists", "sortClause", "limitOffset", "limitCount",
                   "lockingClause", "withClause", "distinctClause", "larg", "rarg"):
        if stmt.get(clause):
            return None
    target = _node(stmt["targetList"][0], "ResTarget") or {}
    call = _node(target.get("val"), "FuncCall")
    if "name" in target or call is None or call.get("agg_star") or \
            call.get("agg_order") or call.get("agg_filter") or call.get("over"):
        return None
    names = _svals(call.get("funcname"))
    if len(names) != 2 or names[0] != "pg_catalog":
        return None
    for arg in call.get("args") or ():
        cast = _node(arg, "TypeCast")
        if cast is not None:
            arg = cast.get("arg")
        if _node(arg, "A_Const") is None:
            return None
    return str(names[1])
