"""The forms of a plain-format pg_dump that the rewriter recognises and allows.

Why a module of its own: failing closed means saying exactly which
statements, comments and psql meta-commands pg_dump writes; everything else
stops the run.  These are the lists and patterns that say it, and the
trailer written after a failure.
"""

from __future__ import annotations

import re

from ..regex_cache import compile_cached

__all__ = [
    "ALTER_LEARNT",
    "CREATE_TABLE",
    "CREATE_TYPE",
    "CREATE_UNIQUE_INDEX",
    "DOMAIN",
    "DUMP_COMMENT",
    "KEYWORDS",
    "LO_CALL",
    "MARKERS",
    "META",
    "SAFE_META",
    "SAFE_SELECT",
    "SCHEMA_STATEMENTS",
    "SCS",
    "SEARCH_PATH",
    "SNIFF_BYTES",
    "SQL_COMMANDS",
    "STATS_CALL",
    "TOC_ENTRY",
    "TRAILER",
    "ident",
    "meta_label",
    "not_plain",
]

KEYWORDS = compile_cached(
    rb"([A-Za-z_]+)(?:\s+([A-Za-z_]+))?(?:\s+([A-Za-z_]+))?(?:\s+([A-Za-z_]+))?"
)
CREATE_TABLE = compile_cached(
    rb"CREATE\s+(?:(?:UNLOGGED|FOREIGN|TEMP|TEMPORARY|GLOBAL|LOCAL)\s+)*TABLE\b", re.I
)
MARKERS = compile_cached(rb"^-- PostgreSQL database (cluster )?dump( complete)?[ \t]*\r?$", re.M)
# pg_dump's table of contents entry before each object (names unquoted).
TOC_ENTRY = compile_cached(
    rb"^-- (Data for )?Name: ([^;\n]*); Type: ([^;\n]*); Schema: ([^;\n]*);", re.M
)
CREATE_TYPE = compile_cached(rb"CREATE\s+TYPE\b", re.I)
CREATE_UNIQUE_INDEX = compile_cached(rb"CREATE\s+UNIQUE\s+INDEX\b", re.I)
DOMAIN = compile_cached(rb"(?:CREATE|ALTER)\s+DOMAIN\b", re.I)
#: ALTER TABLE forms the schema learns from (partitions, inheritance, NOT NULL, keys).
ALTER_LEARNT = compile_cached(
    rb"ATTACH|INHERIT|NOT\s+NULL|PRIMARY\s+KEY|UNIQUE|EXCLUDE|FOREIGN\s+KEY|CHECK", re.I
)
SEARCH_PATH = compile_cached(rb"SET\s+search_path\b", re.I)
META = compile_cached(rb"\\([A-Za-z_]+|\.|!|\?)")
SCS = compile_cached(rb"SET\s+standard_conforming_strings\s*(?:=|TO)\s*'?(on|off)'?", re.I)
# pg_dump's ``SET client_encoding = 'NAME';`` (the encoding of every byte after it).
CLIENT_ENCODING = compile_cached(rb"SET\s+client_encoding\s*(?:=|TO)\s*'?([A-Za-z0-9_-]*)'?", re.I)
#: Encodings whose bytes scrubphi reads: UTF-8, and SQL_ASCII (a server that converts
#: nothing; its bytes are checked as UTF-8 value by value, as they are in practice).
READABLE_ENCODINGS = frozenset(("UTF8", "UTF-8", "UNICODE", "SQL_ASCII"))
_IDENT = rb'(?:"(?:[^"]|"")*"|[A-Za-z_\x80-\xff][A-Za-z0-9_$\x80-\xff]*)'
LO_CALL = compile_cached(rb"SELECT\s+pg_catalog\.(lo_create|lo_open|lowrite|lo_close)\s*\(", re.I)
STATS_CALL = compile_cached(
    rb"SELECT\s+\*\s+FROM\s+pg_catalog\.(pg_restore_relation_stats|pg_restore_attribute_stats)"
    rb"\s*\(",
    re.I,
)
SAFE_SELECT = compile_cached(
    rb"SELECT\s+pg_catalog\.(set_config|setval|binary_upgrade_[a-z_]+)\s*\(", re.I
)

# The psql meta-commands pg_dump and pg_dumpall write, each with the whole line it
# takes; anything else (\copy, \i, \g, \gexec, \echo...) stops the run, and so does
# one of these with other arguments (a damaged line that joined data to it).
SAFE_META = {
    "connect": compile_cached(rb"\\connect(?: -reuse-previous=on)? (?:[\w$]+|\"(?:[^\"\n]|\"\")*\"|"
                          rb"'(?:[^'\n\\]|\\.)*')[ \t]*\r?\n?\Z"),
    "c": compile_cached(rb"\\c (?:[\w$]+|\"(?:[^\"\n]|\"\")*\")[ \t]*\r?\n?\Z"),
    "restrict": compile_cached(rb"\\restrict [A-Za-z0-9]+[ \t]*\r?\n?\Z"),
    "unrestrict": compile_cached(rb"\\unrestrict [A-Za-z0-9]+[ \t]*\r?\n?\Z"),
    "encoding": compile_cached(rb"\\encoding [A-Za-z0-9_]+[ \t]*\r?\n?\Z"),
}
# The SQL comments pg_dump and pg_dumpall write between statements.  Data joined
# to a comment line by a damaged newline would pass through as a comment, so any
# other comment (and a /* block */ comment) stops the run.
# A data line joined to the end of one of these by a lost newline must not match, so
# each form ends in a part that cannot hold a row or a statement: role and tablespace
# names without quotes, parentheses, commas or tabs; versions and times by shape.
_ROLE = rb"[^\t'(),;]*"
_QIDENT = rb'(?:"(?:[^"\t]|"")*"|[\w$]+)'
DUMP_COMMENT = compile_cached(
    rb"--(?:"
    rb"| (?:Data for |Statistics for )?Name: .*; Type: .*; Schema: .*; Owner: " + _ROLE
    + rb"(?:; Tablespace: " + _ROLE + rb")?"
    rb"| PostgreSQL database (?:cluster )?dump(?: complete)?"
    rb"| Dumped (?:from database|by pg_dump|by pg_dumpall) version [0-9][0-9A-Za-z.~+-]*"
    rb"(?: \([^()\t',;]*\))?"
    rb"| (?:Started|Completed) on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?: [A-Za-z0-9+:-]+)?"
    rb"| TOC entry \d+ \(class \d+ OID \d+\)"
    rb"| Dependencies: [\d ]*"
    rb"| load via partition root " + _QIDENT + rb"\." + _QIDENT
    + rb"| \*not\* (?:creating|dropping) schema, since initdb creates it"
    rb"| Roles| Role memberships| User Configurations| User Config \".*\"| Databases"
    rb"| Tablespaces| Drop databases \(except postgres and template1\)| Drop roles"
    rb"| Database \".*\" dump| Per-Database Role Settings"
    rb")[ \t]*\r?\Z"
)
# Statements that define or manage schema objects and carry no table rows.
SCHEMA_STATEMENTS = frozenset(
    {
        "SET",
        "RESET",
        "CREATE",
        "ALTER",
        "COMMENT",
        "GRANT",
        "REVOKE",
        "DROP",
        "BEGIN",
        "COMMIT",
        "END",
        "START",
        "ROLLBACK",
        "SAVEPOINT",
        "RELEASE",
        "REFRESH",
        "SECURITY",
        "REINDEX",
        "CLUSTER",
        "ANALYZE",
        "ANALYSE",
        "VACUUM",
        "LOCK",
        "TRUNCATE",
        "CHECKPOINT",
        "DISCARD",
        "IMPORT",
    }
)

# SQL commands an error may name: only words from this list come from the input into
# a message (after a damaged COPY block, data lines are read as SQL: their first word
# is a value, and no message ever quotes one).
SQL_COMMANDS = SCHEMA_STATEMENTS | frozenset(
    {"INSERT", "UPDATE", "DELETE", "MERGE", "SELECT", "WITH", "DO", "CALL", "COPY", "VALUES",
     "TABLE", "EXECUTE", "PREPARE", "LISTEN", "NOTIFY", "FETCH", "MOVE", "DECLARE", "CLOSE",
     "EXPLAIN", "LOAD", "DEALLOCATE", "UNLISTEN", "ABORT"}
)
# psql's own meta-commands (psql --help=commands); any other name after a backslash is
# data read as SQL, and is not repeated.
_PSQL_META = frozenset(
    [
        "a", "bind", "bind_named", "c", "cd", "close_prepared", "conninfo", "connect",
        "copy", "copyright", "crosstabview", "d", "da", "dA", "dAc", "dAf", "dAo", "dAp",
        "db", "dc", "dconfig", "dC", "dd", "dD", "ddp", "dE", "de", "det", "des", "deu",
        "dew", "df", "dF", "dFd", "dFp", "dFt", "dg", "di", "dl", "dL", "dm", "dn", "do",
        "dO", "dp", "dP", "drds", "drg", "dRp", "dRs", "ds", "dt", "dT", "du", "dv", "dx",
        "dX", "dy", "e", "echo", "ef", "encoding", "endif", "elif", "else", "errverbose",
        "ev", "f", "g", "gdesc", "getenv", "getresults", "gexec", "gset", "gx", "h", "help",
        "H", "html", "i", "if", "include", "include_relative", "ir", "l", "lo_export",
        "lo_import", "lo_list", "lo_unlink", "o", "out", "p", "parse", "password", "print",
        "prompt", "pset", "q", "qecho", "quit", "r", "reset", "restrict", "s",
        "sendpipeline", "set", "setenv", "sf", "startpipeline", "sv", "syncpipeline", "t",
        "T", "timing", "unrestrict", "unset", "w", "warn", "watch", "write", "x", "z", "!",
        "?", ".",
    ]
)


def meta_label(name: str) -> str:
    return f"\\{name}" if name in _PSQL_META else "(a backslash command psql does not have)"


TRAILER = (
    b"\n-- scrubphi: the scrub FAILED and this output is INCOMPLETE. Do not restore it.\n"
    b"DO $scrubphi$ BEGIN RAISE EXCEPTION "
    b"'scrubphi: the scrub failed, this dump is incomplete and must not be restored'; "
    b"END $scrubphi$;\n"
)


def ident(raw: bytes) -> str:
    text = raw.decode("utf-8", "surrogateescape")
    if text.startswith('"'):
        return text[1:-1].replace('""', '"')
    return text.lower()


#: Bytes read before the first statement to tell an archive or a compressed file
#: from plain SQL (a tar header's "ustar" ends at offset 262).
SNIFF_BYTES = 262

_PG_DUMP_Z = " (pg_dump --compress writes it)"
_DECOMPRESS = (
    (b"\x1f\x8b", "gzip", "gunzip -c", _PG_DUMP_Z),
    (b"\x28\xb5\x2f\xfd", "zstd", "zstd -dc", _PG_DUMP_Z),
    (b"\x04\x22\x4d\x18", "lz4", "lz4 -dc", _PG_DUMP_Z),
    (b"\xfd7zXZ\x00", "xz", "xz -dc", ""),
)


def not_plain(head: bytes) -> str | None:
    """Why ``head`` (the input's first bytes) is not a plain-format dump, or None.

    Why: an operator in a hurry pipes ``pg_dump -Fc`` or a ``.sql.gz`` and got
    "line 1: an unknown statement"; the archive formats and compressed files are
    named, with the command that gives scrubphi what it reads.
    """
    archive = ("is a pg_dump {} archive, not plain SQL; scrubphi reads plain format: dump "
               "with pg_dump -Fp (the default), or make plain SQL of the archive with "
               "pg_restore -f - ARCHIVE")
    if head.startswith(b"PGDMP"):
        return archive.format("custom-format (-Fc)")
    if head[257:262] == b"ustar":
        return archive.format("tar-format (-Ft)")
    for magic, name, command, origin in _DECOMPRESS:
        if head.startswith(magic):
            return (f"is {name}-compressed{origin}; scrubphi reads plain SQL: decompress it "
                    f"first: {command} FILE | scrubphi ...")
    if head[:3] == b"BZh" and head[3:4].isdigit():
        return ("is bzip2-compressed; scrubphi reads plain SQL: decompress it first: "
                "bzip2 -dc FILE | scrubphi ...")
    if b"\x00" in head:
        return "holds NUL bytes at its start: it is binary, not a plain-format SQL dump"
    return None
