"""The streaming rewriter: a plain-format pg_dump in, a scrubbed one out.

``Scrubber.feed(chunk) -> bytes`` and ``Scrubber.close() -> bytes``; output
never depends on how the input is split into chunks.  In SQL mode the
statement splitter finds each statement; ``CREATE TABLE``/``ATTACH
PARTITION`` teach the schema, ``COPY ... FROM stdin;`` switches to COPY mode,
and everything else passes through byte for byte.  In COPY mode a
:class:`~scrubphi.dump.copy_block.CopyBlock` streams the rows until ``\\.``
through the row codec (compiled or pure, see ``scrubphi._impl``), which
validates every row and rewrites only the fields that change.

Fail closed: before the first data row of a database leaves, every table
whose ``CREATE TABLE`` was seen is checked against the policy, and all
problems are reported at once.  A statement that may carry rows and is not
understood stops the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any, BinaryIO

from .. import _impl
from ..errors import CoverageError, DumpError, ScrubPhiError
from ..policy.model import Policy, ScrubPolicy, TableName
from ..policy.secrets import resolve_secret
from ..report import Report, TableStats
from ..transforms.base import ColumnInfo, TransformContext
from ..transforms.redact import LOOKUP_KEY
from ..transforms.redact.lookup import Lookup
from .copy_block import CopyBlock
from .coverage import Coverage, Plan
from .forms import (
    ALTER_LEARNT,
    CLIENT_ENCODING,
    CREATE_TABLE,
    CREATE_TYPE,
    CREATE_UNIQUE_INDEX,
    DOMAIN,
    DUMP_COMMENT,
    KEYWORDS,
    MARKERS,
    META,
    READABLE_ENCODINGS,
    SAFE_META,
    SCHEMA_STATEMENTS,
    SCS,
    SEARCH_PATH,
    SNIFF_BYTES,
    SQL_COMMANDS,
    TOC_ENTRY,
    TRAILER,
    ident,
    meta_label,
    not_plain,
)
from .insert_rows import InsertKernels
from .insert_statements import InsertStatements, Scan
from .lexer import SqlSplitter, Unit
from .restore_checks import MAYBE, ONE, check_warnings, judge_new_keys, judge_partition_load
from .row_workers import PARALLEL_AFTER
from .schema import (
    Schema,
    check_statement,
    parse_alter_table,
    parse_copy,
    parse_create_table,
    parse_create_type,
    parse_domain,
    parse_search_path,
    parse_unique_index,
)
from .statements import comment_passes, decode_statement, select_passes

__all__ = ["DEFAULT_CHUNK_SIZE", "Observer", "Progress", "Scan", "Scrubber", "learn_schema",
           "next_read"]

#: Bytes read from the dump at a time.  Why 64 KiB: every buffer a chunk makes (the
#: read, the held-back line joined to it, the codec's output) then stays under
#: glibc's mmap threshold (128 KiB), so malloc serves them from its free lists and
#: reuses the same memory chunk after chunk.  With 1 MiB chunks each buffer was a
#: fresh mapping (a page fault per 4 KiB, ~20% of the CPU of a fast policy) or,
#: once glibc raised its threshold, heap blocks that fragmented and crept the RSS
#: up for the first ~100k rows (``benchmarks/unique_rss.py``: 1.14x at 2M rows;
#: 1.00x now).  A row longer than a chunk is read with :func:`next_read`.
DEFAULT_CHUNK_SIZE = 1 << 16

Observer = Callable[
    [TableName, tuple[str, ...], dict[str, ColumnInfo], dict[str, str], str | None],
    list[Scan],
]


@dataclass(frozen=True)
class Progress:
    """A progress snapshot: counts and names only."""

    bytes_in: int
    bytes_out: int
    rows: int
    table: str | None
    elapsed_s: float


class Scrubber(InsertStatements):
    """Rewrites a plain-format pg_dump stream under a policy.

    ``feed(chunk)`` returns what can be written so far; ``close()`` returns
    the rest and checks that the input was complete.  After an error the
    caller writes ``abort_trailer()`` so that ``psql -v ON_ERROR_STOP=1``
    cannot take the partial output for a complete dump.
    """

    def __init__(
        self,
        policy: Policy,
        *,
        codec: ModuleType | None = None,
        key: bytes | None = None,
        progress: Callable[[Progress], None] | None = None,
        check_only: bool = False,
        observe: Observer | None = None,
        observe_schema: Callable[[str, bytes], None] | None = None,
        lookup: Lookup | None = None,
        schema: Schema | None = None,
        require_complete: bool = True,
        jobs: int = 1,
        parallel_after: int = PARALLEL_AFTER,
    ) -> None:
        self.policy = policy
        # Worker processes for a large COPY block's rows (dump/row_workers.py); 1: none.
        self._jobs = 1 if check_only else max(1, jobs)
        self._parallel_after = parallel_after
        # Whether the input must be a whole dump (pg_dump's "dump complete" line);
        # off only for the parallel refresh's per-table streams.
        self._require_complete = require_complete
        self.check_only = check_only
        # check_only: learn the schema and collect every problem; write no data.
        self.problems: list[str] = []
        # check_only: called at each table's data with (table, column names, columns
        # by name, transform labels, database); returns (field index, fn) pairs whose
        # fn sees every value of that field (the audit's residual scan).
        self._observe = observe
        # check_only: called with (object label, statement) for every CREATE, ALTER and
        # COMMENT statement: schema text people write (the audit looks for PHI in it).
        self._observe_schema = observe_schema
        self._insert_scans: dict[
            tuple[TableName, tuple[str, ...] | None], list[Scan]
        ] = {}
        self.scrub = policy.scrub if policy.scrub is not None else ScrubPolicy()
        self._codec = codec if codec is not None else _impl
        if key is not None and not isinstance(key, bytes):
            # (a str here failed deep inside the first keyed transform, as a TypeError)
            raise TypeError("key must be bytes, the secret's raw bytes (for a key in an "
                            "environment variable: os.environ['SCRUBPHI_KEY'].encode())")
        if check_only and key is None:
            key = b"check-only: no value is transformed"
        if key is None and self.scrub.needs_key():
            key = resolve_secret(self.scrub.key_ref, self.scrub.base_dir)
        self._ctx = TransformContext(key=key or b"")
        if lookup is not None:
            # {redact: text} columns replace every value the lookup holds (see
            # transforms/redact/lookup.py); it must have been made with this key.
            lookup.check_key(self._ctx.key)
            self._ctx.shared[LOOKUP_KEY] = lookup
        self._progress = progress
        self.report = Report(codec=str(self._codec.IMPLEMENTATION), policy_digest=policy.digest)
        self._started = time.monotonic()
        self._buf = b""
        self._line = 1  # line number of self._buf[0]
        self._lpos = 0  # offset in self._buf up to which lines were counted
        self._lat = 1  # line number at self._lpos
        self._splitter = SqlSplitter()
        self._copy: CopyBlock | None = None
        self._cov = Coverage(
            self.scrub, self._ctx, _copy_schema(schema) if schema is not None else Schema()
        )
        self._checked = False
        # (database, table, name, columns) of the unique keys judged against the policy.
        self._judged_keys: set[tuple[Any, ...]] = set()
        self._judged_loads: set[tuple[str | None, TableName]] = set()
        self._tables_seen: set[TableName] = set()  # every database's, for _unused_rules
        self._insert_plans: dict[tuple[TableName, tuple[str, ...] | None], Plan] = {}
        # (the entries of each INSERT plan the compiled codec rewrites in C, or None)
        self._insert_batches: dict[tuple[TableName, tuple[str, ...] | None],
                                   InsertKernels | None] = {}
        self._database: str | None = None
        self._headers = 0
        self._completes = 0
        self._databases = 0
        # The line of a COPY statement held back until its newline arrives (0: none).
        self._held_copy = 0
        self._pending = b""
        # The table named by the last "-- Data for Name:" entry (whose rows follow).
        self._toc_data: TableName | None = None
        # "TYPE schema.name" of the last table-of-contents entry (for the audit).
        self._toc_label: str | None = None
        self._failed = False
        self._closed = False
        self._sniffed = False

    @property
    def _schema(self) -> Schema:
        """What the dump (or ``--schema``) said about the current database's tables."""
        return self._cov.schema

    @_schema.setter
    def _schema(self, schema: Schema) -> None:
        self._cov.schema = schema

    # -- public API -------------------------------------------------------

    def misfit_count(self) -> int:
        """check: how many problems are errors of the policy itself, not gaps in it."""
        return sum(1 for problem in self.problems if self._cov.has_misfit([problem]))

    @property
    def held(self) -> int:
        """Bytes of input held back (an incomplete row or statement) until more arrives."""
        return len(self._buf)

    def feed(self, data: bytes) -> bytes:
        """Take the next chunk of the dump; return the scrubbed bytes ready so far."""
        return self._feed(data, False)

    def _feed(self, data: bytes, final: bool) -> bytes:
        if self._failed or self._closed:
            raise ScrubPhiError("this Scrubber has already failed or been closed")
        self.report.bytes_in += len(data)
        buf = self._buf + data if self._buf else bytes(data)
        out: list[bytes] = []
        try:
            if not self._sniffed:
                # The first bytes tell an archive or a compressed file from plain SQL.
                if len(buf) < SNIFF_BYTES and not final:
                    self._buf = buf
                    return b""
                self._sniffed = True
                why = not_plain(buf[:SNIFF_BYTES])
                if why is not None:
                    raise DumpError(f"the input {why}", line=1)
            keep = self._run(buf, out)
        except BaseException:
            self._fail(out)
            raise
        self._line = self._line_at(buf, keep)
        self._buf = buf[keep:]
        self._lpos = 0
        self._lat = self._line
        if self._copy is None:
            self._splitter.shift(keep)
        result = b"".join(out)
        self.report.bytes_out += len(result)
        if self._progress is not None:
            self._progress(self._snapshot())
        return result

    def close(self) -> bytes:
        """Finish: return the last bytes, or raise if the input was incomplete."""
        head = b"" if self._sniffed else self._feed(b"", True)  # a short input held back
        if self._failed or self._closed:
            raise ScrubPhiError("this Scrubber has already failed or been closed")
        out: list[bytes] = [head]
        try:
            buf = self._buf
            if self._copy is not None:
                if buf == b"\\.":
                    self._end_copy(out, b"\\.")
                else:
                    out.append(self._copy.drain())  # a damaged row before the cut first
                    raise DumpError(
                        "the input ended inside COPY data (a truncated dump?)",
                        line=self._line,
                        table=str(self._copy.table),
                    )
            elif self._held_copy:
                raise DumpError(
                    "the input ended right after a COPY statement, before its data (a "
                    "truncated dump?)",
                    line=self._held_copy,
                )
            elif self._splitter.pending_content():
                raise DumpError(
                    f"the input ended inside {self._splitter.describe_state()} (a truncated dump?)",
                    line=self._line_at(buf, max(self._splitter.content, 0)),
                )
            else:
                self._note_markers(buf, self._line_at(buf, 0))
                out.append(buf)
            self._finish_database(self._line_at(buf, len(buf)))
            self._unused_rules()
            if self._headers > self._completes:
                raise DumpError(
                    "the input ended before pg_dump's 'dump complete' line: the dump is truncated",
                    line=self._line_at(buf, len(buf)),
                )
            if self._require_complete and not self._completes:
                raise DumpError(
                    "the input is not a whole pg_dump: it is empty or has no 'dump complete' "
                    "line (a dump that failed at its start, or not plain-format pg_dump output)",
                    line=self._line_at(buf, len(buf)),
                )
        except BaseException:
            self._fail(out)
            raise
        self._closed = True
        self._buf = b""
        result = b"".join(out)
        self.report.bytes_out += len(result) - len(head)
        self.report.ok = True
        self.report.duration_s = time.monotonic() - self._started
        return result

    def _fail(self, out: list[bytes]) -> None:
        """After an error: keep what was ready for the trailer, stop any workers."""
        self._failed = True
        self._pending = b"".join(out)
        if self._copy is not None:
            self._copy.abort()

    def abort_trailer(self) -> bytes:
        """Bytes to write after a failure: what was ready, then a poison pill.

        The pill ends any open COPY block and raises an error in SQL, so
        ``psql -v ON_ERROR_STOP=1 --single-transaction`` fails and rolls back.
        """
        self._failed = True
        if self._copy is not None:
            self._copy.abort()
        self.report.duration_s = time.monotonic() - self._started
        pending, self._pending = self._pending, b""
        # Whatever state psql is in (inside a COPY block, after a COPY statement whose
        # data never came, after a cut row), "\\." on a line of its own ends the copy
        # and is otherwise an invalid command, an error under ON_ERROR_STOP.
        return pending + b"\n\\.\n" + TRAILER

    # -- the main loop ----------------------------------------------------

    def _run(self, buf: bytes, out: list[bytes]) -> int:
        """Consume ``buf`` as far as possible; return the offset to keep from."""
        pos = 0
        while True:
            if self._copy is not None:
                pos, done = self._copy_step(buf, pos, out)
                if not done:
                    return pos
                self._splitter.reset(pos)
                continue
            unit = self._splitter.next_unit(buf, self._line_at(buf, self._splitter.start))
            if unit is None:
                if self._splitter.scan - self._splitter.start > self.scrub.max_row_size:
                    raise DumpError(
                        f"a statement is longer than max_row_size ({self.scrub.max_row_size} "
                        "bytes)",
                        line=self._line_at(buf, self._splitter.start),
                    )
                return self._splitter.start
            consumed = self._handle_unit(buf, unit, out)
            if consumed < 0:  # need more input (COPY header without its newline yet)
                self._splitter.reset(unit.start)
                self._held_copy = self._line_at(buf, unit.content)
                return unit.start
            self._held_copy = 0
            pos = consumed

    def _line_at(self, buf: bytes, offset: int) -> int:
        if offset < self._lpos:
            return self._line + buf.count(b"\n", 0, offset)
        self._lat += buf.count(b"\n", self._lpos, offset)
        self._lpos = offset
        return self._lat

    def _snapshot(self) -> Progress:
        rows = self.report.rows
        table = None
        if self._copy is not None:
            table = str(self._copy.table)
            rows += self._copy.rows
        return Progress(
            bytes_in=self.report.bytes_in,
            bytes_out=self.report.bytes_out,
            rows=rows,
            table=table,
            elapsed_s=time.monotonic() - self._started,
        )

    # -- SQL mode ---------------------------------------------------------

    def _note_markers(self, region: bytes, line: int = 0) -> None:
        """Read a region between statements: pg_dump's comments, and only those.

        ``line`` is the line number where the region starts (for the error).
        """
        if region.strip():
            for i, raw in enumerate(region.split(b"\n")):
                text = raw.lstrip(b" \t")
                if text.rstrip(b" \t\r") and not DUMP_COMMENT.match(text):
                    raise DumpError(
                        "a comment pg_dump does not write (a damaged line, or data joined "
                        "to a comment?); refusing to pass it through",
                        line=line + i,
                    )
        entry = None
        for entry in TOC_ENTRY.finditer(region):  # noqa: B007 - the last one counts
            pass
        if entry is not None:
            # The entry describes the statement after it: its label (for the audit), and
            # for a table's data, the table whose rows follow (for positional INSERTs).
            data, name, kind, schema = (
                g.decode("utf-8", "replace") if g else "" for g in entry.groups()
            )
            self._toc_data = TableName(schema, name) if data and kind == "TABLE DATA" else None
            if kind == "COMMENT" and " " in name:  # "TABLE patient": COMMENT ON TABLE ...
                kind, name = "COMMENT ON " + name.split(" ", 1)[0], name.split(" ", 1)[1]
            self._toc_label = f"{kind} {name}" if schema == "-" else f"{kind} {schema}.{name}"
        for m in MARKERS.finditer(region):
            if m.group(2):
                self._completes += 1
            else:
                self._headers += 1

    def _handle_unit(self, buf: bytes, unit: Unit, out: list[bytes]) -> int:
        line = self._line_at(buf, unit.content)
        self._note_markers(buf[unit.start : unit.content],
                           line - buf.count(b"\n", unit.start, unit.content))
        if unit.meta:
            self._meta(buf[unit.content : unit.end], line)
            out.append(buf[unit.start : unit.end])
            return unit.end
        head = buf[unit.content : min(unit.end, unit.content + 256)]
        m = KEYWORDS.match(head)
        word = m.group(1).decode("ascii").upper() if m else ""
        text = buf[unit.content : unit.end]
        if word == "COPY":
            return self._start_copy(buf, unit, out, line)
        if self._observe_schema is not None and word in ("CREATE", "ALTER", "COMMENT"):
            self._observe_schema(self._toc_label or f"line {line}", text)
        # Statements parsed whole below need no second parse by check_statement.
        parsed = word == "SELECT"  # a SELECT passed on was parsed whole by _select
        if word == "SET":
            scs = SCS.match(text)
            encoding = CLIENT_ENCODING.match(text)
            if encoding and encoding.group(1).decode("ascii").upper() not in READABLE_ENCODINGS:
                # Bytes in another encoding may read as valid UTF-8 ("Ã©" is "é"): they
                # would be faked and redacted as other text, and fakes written in UTF-8
                # into a stream psql reads as this encoding.  The server converts on dump.
                raise DumpError(
                    f"the dump is encoded in {encoding.group(1).decode('ascii')} (SET "
                    "client_encoding); scrubphi reads UTF-8 dumps: dump with pg_dump "
                    "--encoding=UTF8 (the server converts; psql converts back on restore)",
                    line=line,
                )
            if scs:
                self._splitter.standard_strings = scs.group(1).lower() == b"on"
            elif SEARCH_PATH.match(text):
                path = parse_search_path(self._decode(text, line), line)
                parsed = True
                if path is not None:
                    self._schema.set_search_path(path)
        elif word == "CREATE" and CREATE_TABLE.match(text):
            info = parse_create_table(self._decode(text, line), line, self._schema)
            parsed = True
            if info is not None:
                self._schema.add(info)
        elif word == "CREATE" and CREATE_TYPE.match(text):
            composite = parse_create_type(self._decode(text, line), line, self._schema)
            parsed = True
            if composite is not None:
                self._schema.types[composite[0]] = composite[1]
        elif word in ("CREATE", "ALTER") and DOMAIN.match(text):
            parse_domain(self._decode(text, line), line, self._schema)
            parsed = True
        elif word == "ALTER" and ALTER_LEARNT.search(text):
            altered = parse_alter_table(self._decode(text, line), line, self._schema)
            parsed = True
            for child, parent, default in altered.partitions:
                self._schema.set_partition(child, parent, default)
            for child, parent in altered.inherits:
                self._schema.add_inherit(child, parent)
            for table, column in altered.not_null:
                self._schema.set_not_null(table, column)
            # Keys are judged with the schema before the first row when they come first
            # (--schema), else when the database ends (pg_dump writes them after the data).
            for key in altered.keys:
                self._schema.add_key(key)
        elif word == "CREATE" and CREATE_UNIQUE_INDEX.match(text):
            index = parse_unique_index(self._decode(text, line), line, self._schema)
            parsed = True
            if index is not None:
                self._schema.add_key(index)
        elif word == "INSERT":
            scrubbed = self._insert(text, line)
            out.append(buf[unit.start : unit.content])
            if scrubbed is not None:
                out.append(scrubbed)
            return unit.end
        elif word == "SELECT":
            if not self._select(text, line):
                out.append(buf[unit.start : unit.content])
                return unit.end
        elif word == "COMMENT" and not self._comment(line):
            out.append(buf[unit.start : unit.content])
            return unit.end
        elif word not in SCHEMA_STATEMENTS:
            raise DumpError(
                f"{'a ' + word if word in SQL_COMMANDS else 'an unknown'} statement may carry "
                "data that scrubphi does not "
                "understand; refusing to pass it through",
                line=line,
            )
        if not parsed:
            # One whole statement of its kind: a damaged ';' or quote could otherwise
            # carry the next statement's values through inside this one.
            check_statement(self._decode(text, line), line)
        out.append(buf[unit.start : unit.end])
        return unit.end

    @staticmethod
    def _decode(text: bytes, line: int) -> str:
        return decode_statement(text, line)

    def _meta(self, text: bytes, line: int) -> None:
        m = META.match(text)
        name = m.group(1).decode("ascii", "replace") if m else "?"
        if name not in SAFE_META:
            raise DumpError(
                f"the psql meta-command {meta_label(name)} is not one pg_dump writes and may "
                "move data; "
                "refusing to pass it through",
                line=line,
            )
        if not SAFE_META[name].match(text):
            raise DumpError(
                f"the psql meta-command \\{name} has arguments pg_dump does not write (a "
                "damaged line?); refusing to pass it through",
                line=line,
            )
        if name in ("connect", "c"):
            # pg_dumpall: a new database begins; its schema is learnt afresh.
            self._databases += 1
            self._finish_database(line)
            args = text[m.end() :].split() if m else []
            self._database = ident(args[0]) if args and not args[0].startswith(b"-") else None
            self._schema = Schema()
            self._checked = False
            self._insert_plans = {}
            self._insert_batches = {}

    def _select(self, text: bytes, line: int) -> bool:
        return select_passes(text, line, self.scrub, self.check_only, self.problems,
                             self._count_dropped)

    def _comment(self, line: int) -> bool:
        return comment_passes(line, self.scrub, self.check_only, self.problems,
                              self._count_dropped)

    def _count_dropped(self, what: str) -> None:
        self.report.statements_dropped[what] = self.report.statements_dropped.get(what, 0) + 1

    # -- coverage ---------------------------------------------------------

    def _known_table(self, table: TableName, line: int) -> Any:
        """The table's schema; a table whose CREATE TABLE was not seen stops the run,
        unless the policy keeps or drops it whole by name: an extension's configuration
        table (pg_cron's ``cron.job``) has data in every dump, and ``CREATE EXTENSION``,
        not a ``CREATE TABLE`` of the dump, makes it."""
        info = self._schema.tables.get(table)
        if info is None:
            rule = self.scrub.tables.get(table)
            if rule is not None and rule.action in ("keep", "drop"):
                self._tables_seen.add(table)  # (its rule is used: see _unused_rules)
                return None  # a whole-table rule needs no column
            message = (
                f"table {table} has data but the dump does not create it (a --data-only "
                "dump, or an extension's configuration table, which CREATE EXTENSION "
                "makes?): without its schema, partitions, inheritance, column types and NOT "
                "NULL are unknown; pass the schema with --schema FILE (pg_dump "
                f"--schema-only), or give {table} a whole-table rule (keep or drop)"
            )
            if not self.check_only:
                raise DumpError(message, line=line, table=str(table))
            if message not in self.problems:
                self.problems.append(f"line {line}: {message}")
        return info

    def _check_load(self, table: TableName, line: int) -> None:
        """Rows about to be loaded into ``table``: refuse a partition whose hash key the
        policy changes, warn of one whose range or list key it changes (rows near a bound
        may leave it) and of a partitioned table loaded through whose new values may
        have no partition (``judge_partition_load``)."""
        if (self._database, table) in self._judged_loads:
            return
        self._judged_loads.add((self._database, table))
        level, message = judge_partition_load(self._schema, self._cov, table)
        if level == ONE:
            return
        if level == MAYBE:
            self._warn([message])
            return
        if self._database is not None:
            message = f"database {self._database}: {message}"
        self._cov.misfits.add(message)
        if self.check_only:
            self.problems.append(message)
            return
        raise CoverageError("the policy does not fit this table; no row of it has been written",
                            [message], line=line, misfit=True)

    def _table_columns(self, table: TableName) -> list[ColumnInfo] | None:
        info = self._schema.tables.get(table)
        if info is None:
            return None
        return [c for c in info.columns if not c.generated]

    def _ensure_checked(self, line: int) -> None:
        """Check the policy against every table seen, before the first data row."""
        if self._checked:
            return
        problems: list[str] = []
        for name, info in sorted(self._schema.tables.items()):
            if info.partitioned:
                continue  # holds no rows itself; checked if data is loaded through it
            try:
                self._cov.compile(
                    name,
                    [c for c in info.columns if not c.generated],
                    line,
                    strict=False,
                    problems=problems,
                )
            except CoverageError as exc:  # pragma: no cover - strict=False collects
                problems.extend(exc.uncovered)
        problems.extend(self._judge_keys())
        self._warn(check_warnings(self._schema, self._cov))
        if problems and self.check_only:
            self.problems.extend(problems)
        elif problems:
            misfit = self._cov.has_misfit(problems)
            raise CoverageError(
                f"the policy does not {'fit' if misfit else 'cover'} the dump's schema "
                f"({len(problems)} problem{'s' if len(problems) != 1 else ''}); no data row "
                "has been written",
                problems,
                line=line,
                misfit=misfit,
            )
        self._checked = True

    def _judge_keys(self) -> list[str]:
        """Problems (misfits: exit 3) of the keys learnt since the last call that the
        policy maps many-to-one; keys whose columns may collide go to the warnings."""
        problems, warnings = judge_new_keys(self._schema, self._cov, self._judged_keys,
                                            self._database)
        if self._database is not None:  # pg_dumpall: the same table names in each database
            problems = [f"database {self._database}: {p}" for p in problems]
        self._cov.misfits.update(problems)
        self._warn(warnings)
        return problems

    def _warn(self, warnings: list[str]) -> None:
        if self._database is not None:
            warnings = [f"database {self._database}: {w}" for w in warnings]
        self.report.warnings.extend(w for w in warnings if w not in self.report.warnings)

    def _unused_rules(self) -> None:
        """Warn of the policy's table rules that named no table of the whole stream.

        Why: a rule for ``public.patient`` protects nothing when the table is
        ``public.patients``; with ``unknown_tables: keep`` that table then passes
        as it is and the run exits 0.  A warning, not an error: a dump of some
        tables only (``pg_dump -t``) leaves the policy's other rules unused.
        """
        unused = [str(t) for t in self.scrub.tables if t not in self._tables_seen]
        if not unused or not self._tables_seen:
            return
        import difflib  # (only here: a run's start-up imports what scrubbing needs)

        known = sorted({str(t) for t in self._tables_seen})
        shown = []
        for name in unused[:5]:
            near = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
            shown.append(f"{name} (did you mean {near[0]}?)" if near else name)
        more = f" and {len(unused) - 5} more" if len(unused) > 5 else ""
        self.report.warnings.append(
            f"the policy has rules for {len(unused)} table(s) the dump does not hold: "
            f"{', '.join(shown)}{more}; such a rule protects nothing (a typo, or a dump of "
            "some tables only: pg_dump -t)")

    def _finish_database(self, line: int) -> None:
        """A database ended: judge the unique keys pg_dump wrote after its data;
        check_only: check and show tables that had no data.

        A schema-only dump (``pg_dump --schema-only | scrubphi check --dump -``)
        has no data rows to trigger the coverage check, so it runs here, and the
        observer (the audit) is shown every table the schema created.
        """
        self._tables_seen.update(self._schema.tables)
        if not self.check_only:
            problems = self._judge_keys()
            if problems:
                raise CoverageError(
                    "the policy breaks a key of the dump: the restore would fail at "
                    "it (`scrubphi check --dump` finds this before any row is written)",
                    problems,
                    line=line,
                    misfit=True,
                )
            return
        self._ensure_checked(line)
        self.problems.extend(self._judge_keys())
        if self._observe is None:
            return
        for name, info in sorted(self._schema.tables.items()):
            if info.partitioned:
                continue
            columns = [c for c in info.columns if not c.generated]
            names = tuple(c.name for c in columns)
            plan = self._cov.compile(name, columns, line, strict=False, problems=[], header=names)
            self._scans(name, names, info.columns, plan)

    def _scans(
        self,
        table: TableName,
        names: tuple[str, ...],
        columns: list[ColumnInfo] | None,
        plan: Plan,
    ) -> list[Scan]:
        """Ask the observer (audit) which fields it wants to see; labels every column."""
        if self._observe is None:
            return []
        rule = self._cov.rule_for(table)
        if rule is None and self._cov.inherited_specs(table):
            default = "not covered"
        elif rule is None:
            default = {"fail": "not covered", "keep": "keep", "drop": "drop"}[
                self.scrub.unknown_tables
            ]
        elif rule.action == "keep":
            default = "keep (whole table)"
        elif rule.action == "drop":
            default = "drop"
        else:
            default = "not covered"
        labels = {name: plan.specs.get(name, default) for name in names}
        by_name = {c.name: c for c in columns or ()}
        return list(self._observe(table, names, by_name, labels, self._database))

    def _table_stats(self, table: TableName, action: str) -> TableStats:
        for stats in reversed(self.report.tables):
            if stats.table == str(table) and stats.database == self._database:
                return stats
        stats = TableStats(table=str(table), action=action, database=self._database)
        self.report.tables.append(stats)
        return stats

    # -- COPY mode --------------------------------------------------------

    def _start_copy(self, buf: bytes, unit: Unit, out: list[bytes], line: int) -> int:
        nl = buf.find(b"\n", unit.end)
        if nl < 0:
            if len(buf) - unit.end > self.scrub.max_row_size:
                raise DumpError("a COPY statement line is too long", line=line)
            return -1
        if buf[unit.end : nl].strip():
            raise DumpError("unexpected text after a COPY statement on the same line", line=line)
        self._ensure_checked(line)
        header = parse_copy(self._decode(buf[unit.content : unit.end], line), line, self._schema)
        table = header.table
        self._known_table(table, line)
        self._check_load(table, line)
        columns = self._table_columns(table)
        names = header.columns
        if names is None:
            names = tuple(c.name for c in columns) if columns is not None else ()
        if self.check_only:
            plan = self._cov.compile(
                table, columns, line, strict=False, header=names, problems=self.problems
            )
            scans = self._scans(table, names, columns, plan)
            if scans:
                entries = [(e[0], e[1], e[2] if len(e) > 2 else -1, False)
                           for e in scans]
                plan = Plan("rewrite", entries, [(e[0], names[e[0]]) for e in scans],
                            plan.specs)
            else:
                plan = Plan("drop", [], plan.planned, plan.specs)
        else:
            plan = self._cov.compile(table, columns, line, strict=True, header=names)
        stats = self._table_stats(table, plan.mode)
        self._copy = CopyBlock.open(self._codec, table, stats, plan, names,
                                    self.scrub.max_row_size, self._jobs, self._parallel_after)
        out.append(buf[unit.start : nl + 1])
        return nl + 1

    def _copy_step(self, buf: bytes, pos: int, out: list[bytes]) -> tuple[int, bool]:
        copy = self._copy
        assert copy is not None
        # One line per row: the line cursor moves by the rows rewritten (plus the
        # end-of-data line) instead of counting the block's newlines a second time.
        data, new_pos, lines, done = copy.step(buf, pos, self._line_at(buf, pos))
        self._lat += lines
        self._lpos = new_pos
        if data:
            out.append(data)
        if done:
            self._copy = None
        return new_pos, done

    def _end_copy(self, out: list[bytes], marker: bytes) -> None:
        copy = self._copy
        assert copy is not None
        out.append(copy.drain())
        copy.finish()
        out.append(marker)
        self._copy = None


def _copy_schema(schema: Schema) -> Schema:
    """A copy of a learnt schema that a run can extend without changing the original."""
    return Schema({name: replace(info) for name, info in schema.tables.items()},
                  dict(schema.types), schema.search_path, dict(schema.domains),
                  dict(schema.enums))


def next_read(scrubber: Scrubber, chunk_size: int = DEFAULT_CHUNK_SIZE) -> int:
    """How many bytes to read next: ``chunk_size``, or as many as the scrubber holds.

    Why: a row (or statement) longer than a chunk is held back whole until its
    end arrives, and each feed copies what is held.  Reading at least as much
    as is held doubles the buffer each time, so a row of N bytes costs O(N)
    copying instead of O(N^2 / chunk_size).
    """
    return max(chunk_size, scrubber.held)


def learn_schema(src: BinaryIO, policy: Policy,
                 chunk_size: int = DEFAULT_CHUNK_SIZE) -> Schema:
    """The tables a schema-only dump creates (for ``--schema FILE``), read as a stream.

    Why: a ``--data-only`` dump creates no table, so neither partitions nor
    inheritance nor column types are known, and the run refuses it; its
    schema, dumped with ``pg_dump --schema-only``, gives them back.  A file
    with several databases (pg_dumpall) is refused: which schema goes with
    which data would be a guess.
    """
    learner = Scrubber(policy, check_only=True, require_complete=False)
    while chunk := src.read(next_read(learner, chunk_size)):
        learner.feed(chunk)
    learner.close()
    if learner._databases > 1:
        raise DumpError("the schema file holds several databases (pg_dumpall); give one "
                        "database's pg_dump --schema-only")
    return learner._schema
