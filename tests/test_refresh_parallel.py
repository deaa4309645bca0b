"""Parallel refresh's pieces that need no server: the COPY sink and the header parser.

The server-backed behaviour (same database as plain mode, every failure) is
in ``test_refresh.py``; here the byte handling is checked against every way
the scrubber's output may be cut into chunks.
"""

from __future__ import annotations

import itertools
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scrubphi.policy import loads_policy
from scrubphi.refresh import RefreshError
from scrubphi.refresh.parallel import (
    _copy_headers,
    _CopySink,
    _header_table,
    _restore_list,
    _session_setup,
)


class _Collect:
    """Stands in for psycopg's Copy: keeps what was written."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.parts.append(bytes(data))


def _feed(chunks: list[bytes]) -> tuple[bytes, bytes, bool]:
    sink_out = _Collect()
    sink = _CopySink(cast(Any, sink_out))
    after = b"".join(sink.write(c) for c in chunks)
    return b"".join(sink_out.parts), after, sink.done


_ROW = st.lists(
    st.text(alphabet="ab\\.\t ", min_size=0, max_size=6).map(
        lambda s: s.replace("\\", "\\\\").encode()
    ),
    min_size=1,
    max_size=3,
).map(lambda cells: b"\t".join(cells) + b"\n")


@given(
    rows=st.lists(_ROW, max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=10),
)
def test_sink_sends_exactly_the_rows_however_the_output_is_cut(
    rows: list[bytes], cuts: list[int]
) -> None:
    body = b"".join(rows)
    stream = body + b"\\.\n\n\n"
    points = sorted({min(c, len(stream)) for c in cuts} | {0, len(stream)})
    chunks = [stream[a:b] for a, b in itertools.pairwise(points)]
    sent, after, done = _feed(chunks)
    assert done
    assert sent == body
    assert after == b"\n\n"


@pytest.mark.parametrize(
    ("chunks", "rows"),
    [
        ([b"\\.\n"], b""),
        ([b"\\", b".", b"\n"], b""),
        ([b"a\tb\n\\", b".\n"], b"a\tb\n"),
        ([b"x\\\\.\n", b"\\.\n"], b"x\\\\.\n"),  # a value ending in a backslash and a dot
        ([b"\\\\.\n\\.\n"], b"\\\\.\n"),  # a row that is a backslash and a dot
    ],
)
def test_sink_edge_cases(chunks: list[bytes], rows: bytes) -> None:
    sent, after, done = _feed(chunks)
    assert (sent, after, done) == (rows, b"", True)


def test_sink_without_terminator_is_not_done() -> None:
    sent, after, done = _feed([b"a\n", b"b\n"])
    # Three bytes stay held back in case they begin the end-of-data line.
    assert (sent, after, done) == (b"a", b"", False)


@pytest.mark.parametrize(
    ("header", "name"),
    [
        (b"COPY public.patients (id, name) FROM stdin;\n", ("public", "patients")),
        (b'COPY clinic."Lab Results" (id) FROM stdin;\n', ("clinic", "Lab Results")),
        (b'COPY "we""ird, (x)".t FROM stdin;\n', ('we"ird, (x)', "t")),
        (b'COPY public."tab\nnew ""line""" (a) FROM stdin;\n', ("public", 'tab\nnew "line"')),
        (b'COPY "Weird Schema"."Pat,ients" (id) FROM stdin;\n', ("Weird Schema", "Pat,ients")),
        (b'COPY public."a""b.c" (x) FROM stdin;\n', ("public", 'a"b.c')),
        (b'COPY public."new\nline" ("col\ttab") FROM stdin;\n', ("public", "new\nline")),
    ],
)
def test_header_table(header: bytes, name: tuple[str, str]) -> None:
    table = _header_table(header)
    assert (table.schema, table.name) == name


@pytest.mark.parametrize(
    "header", [b"COPY public. FROM stdin;\n", b"COPY public.\xff FROM stdin;\n"]
)
def test_header_table_refuses_an_unreadable_header(header: bytes) -> None:
    with pytest.raises(RefreshError) as info:
        _header_table(header)
    assert info.value.step == "restore"


def test_session_setup_takes_pg_restores_settings_only() -> None:
    prelude = (
        b"--\n-- PostgreSQL database dump\n--\n\n\\restrict abc\n\n"
        b"SET statement_timeout = 0;\nSET client_encoding = 'LATIN1';\n"
        b"SELECT pg_catalog.set_config('search_path', '', false);\n"
        b"SET row_security = off;\n\n"
        b"--\n-- Name: t; Type: TABLE; Schema: public; Owner: -\n--\n\n"
        b"SET default_tablespace = '';\nCREATE TABLE public.t (a int);\n"
    )
    assert _session_setup(prelude) == [
        "SET statement_timeout = 0;",
        "SET client_encoding = 'LATIN1';",
        "SELECT pg_catalog.set_config('search_path', '', false);",
        "SET row_security = off;",
    ]


_TOC = [
    ";",
    "; Archive created at 2026-11-27 17:00:00 UTC",
    "215; 1259 16389 TABLE public BLOB postgres",
    "3386; 2613 29772 BLOB - 29772 postgres",
    "3390; 0 0 BLOB METADATA - 29773..29780 postgres",
    "3395; 0 16389 TABLE DATA public BLOB postgres",
    "3387; 0 0 BLOBS - BLOBS ",
    "3388; 0 0 LARGE OBJECTS - 29773..29780 ",
    "3413; 0 0 SEQUENCE SET public patients_id_seq postgres",
    "3420; 0 0 STATISTICS DATA public patients postgres",
]


def _scrub_policy(large_objects: str, statistics: str = "drop") -> Any:
    return loads_policy(
        f"version: 1\nscrub:\n  large_objects: {large_objects}\n  statistics: {statistics}\n"
    )


def test_restore_list_drops_large_object_contents_and_statistics_only() -> None:
    """A table named BLOB keeps its data; objects stay, emptied, as in plain mode."""
    kept = _restore_list(_TOC, _scrub_policy("drop"))
    # Everything but the BLOBS and LARGE OBJECTS contents and the statistics.
    assert kept == _TOC[:6] + _TOC[8:9]
    assert _restore_list(_TOC, _scrub_policy("keep")) == [
        line for line in _TOC if "STATISTICS" not in line
    ]


@pytest.mark.parametrize(("lo", "stats"), [("fail", "drop"), ("drop", "fail")])
def test_restore_list_fail_options_stop(lo: str, stats: str) -> None:
    with pytest.raises(RefreshError) as info:
        _restore_list(_TOC, _scrub_policy(lo, stats))
    assert info.value.step == "scrub" and "fail" in str(info.value)


def test_copy_headers_span_line_breaks_in_quoted_names() -> None:
    """What ``pg_restore --data-only`` prints for data files holding only ``\\.``."""
    script = (
        b"--\n-- PostgreSQL database dump\n--\n\nSET client_encoding = 'UTF8';\n\n"
        b"--\n-- Data for Name: Pat,ients; Type: TABLE DATA; Schema: Weird Schema; Owner: -\n--\n\n"
        b'COPY "Weird Schema"."Pat,ients" (id, "First Name", "a""b;c") FROM stdin;\n\\.\n\n\n'
        b"--\n-- Data for Name: new line; Type: TABLE DATA; Schema: public; Owner: -\n--\n\n"
        b'COPY public."new\nCOPY line" ("col\ttab", "x y") FROM stdin;\n\\.\n\n\n'
        b"COPY public.nocols  FROM stdin;\n\\.\n\n\n"
    )
    assert _copy_headers(script) == [
        b'COPY "Weird Schema"."Pat,ients" (id, "First Name", "a""b;c") FROM stdin;\n',
        b'COPY public."new\nCOPY line" ("col\ttab", "x y") FROM stdin;\n',
        b"COPY public.nocols  FROM stdin;\n",
    ]
    assert _copy_headers(b"COPY a.b (x) FROM stdin;\n\\.\n") == [b"COPY a.b (x) FROM stdin;\n"]
