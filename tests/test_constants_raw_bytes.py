"""``null`` and ``{value: X}`` over fields that are not UTF-8, in both codecs alike.

A SQL_ASCII database (a legacy system that stores whatever bytes it is given)
dumps them raw. The compiled COPY codec writes the constant of a ``null`` or
``{value: X}`` column, or ``when`` branch, without reading the field; the pure
twin decoded the field first and stopped the run with "invalid UTF-8" (exit 4)
where the compiled one exited 0: the twins disagreed. The pure twin now
chooses as the compiled one does, so both write the constant.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator

import pytest

from pg_fixtures import PgServer
from scrubphi import _impl, scrub_stream
from scrubphi.policy import loads_policy

pytestmark = pytest.mark.postgres

KEY = b"constants-raw-bytes-key-0123456789abcdef"

SETUP = rb"""
CREATE TABLE public.t (id integer PRIMARY KEY, code text, v text, w text, x text);
INSERT INTO public.t VALUES
  (1, 'a', E'\x80', 'fine', E'\x82'),
  (2, 'b', E'\x80', E'ok\x81', E'\\N'),
  (3, 'a', E'\\N', 'same', E'x\ty\x83'),
  (4, 'b', 'same', 'same', NULL),
  (5, NULL, E'\xfe\xff', E'\x81', E'\xc3\x28');
"""

POLICY = """
version: 1
scrub:
  tables:
    public.t:
      columns:
        id: keep
        code: keep
        v:
          when:
            - if: {code: a}
              then: null
            - if: {code: null}
              then: {value: "none"}
          else: {value: "same"}
        w: {value: "same"}
        x: null
"""


@pytest.fixture(scope="module")
def dump(pg: PgServer) -> Iterator[bytes]:
    name = f"raw_bytes_{uuid.uuid4().hex[:10]}"
    pg.psql("postgres", f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'SQL_ASCII' "
                        "LC_COLLATE 'C' LC_CTYPE 'C'")
    try:
        pg.psql(name, stdin=SETUP)
        yield pg.pg_dump(name, "--no-owner")
    finally:
        pg.drop_database(name)


def test_constants_over_raw_bytes_agree(pg: PgServer, dump: bytes) -> None:
    outs = []
    for twin in ("compiled", "pure"):
        if twin == "compiled" and _impl.NO_EXTENSIONS:
            continue
        dst = io.BytesIO()
        scrub_stream(io.BytesIO(dump), dst, loads_policy(POLICY, "c.yaml"),
                     codec=_impl.load(twin), key=KEY, chunk_size=37)
        outs.append(dst.getvalue())
    assert all(out == outs[0] for out in outs)
    out = outs[0]
    for raw in (b"\x80", b"\x81", b"\x82", b"\x83", b"\xfe", b"\xc3\x28"):
        assert raw not in out
    rows = out.split(b"COPY public.t (id, code, v, w, x) FROM stdin;\n", 1)[1].split(b"\\.")[0]
    assert rows.splitlines() == [
        b"1\ta\t\\N\tsame\t\\N",
        b"2\tb\tsame\tsame\t\\N",
        b"3\ta\t\\N\tsame\t\\N",
        b"4\tb\tsame\tsame\t\\N",
        b"5\t\\N\tnone\tsame\t\\N",
    ]
