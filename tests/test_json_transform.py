"""The json transform: other transforms applied inside JSON documents, failing closed."""

from __future__ import annotations

import json
from types import ModuleType

import pytest

from scrubphi import DumpError, PolicyError, Scrubber
from scrubphi.policy import loads_policy
from scrubphi.transforms.jsonpath import parse_path

KEY = b"json-transform-test-key-0123456789"

DUMP = b"""CREATE TABLE public.claims (
    id integer NOT NULL,
    ssn text,
    payload jsonb
);

COPY public.claims (id, ssn, payload) FROM stdin;
1\t123-45-6789\t{"notes": "called back", "patient": {"ssn": "123-45-6789", \
"name": "Jane Doe", "age": 44}, "codes": ["E11.9", "I10"]}
2\t\\N\t\\N
3\t\\N\t{"patient": {"name": null}, "visits": [{"date": "2021-03-04"}, {"date": "2021-04-05"}]}
\\.

--
-- PostgreSQL database dump complete
--
"""

POLICY = """version: 1
scrub:
  tables:
    public.claims:
      columns:
        id: keep
        ssn: {fake: ssn}
        payload:
          json:
            "$.patient.ssn": {fake: ssn}
            "$.patient.name": {fake: name}
            "$.notes": {value: ""}
            "$.visits[*].date": {date: year}
          other_paths: OTHER
"""


def scrub(policy_text: str, codec: ModuleType, dump: bytes = DUMP) -> list[list[str]]:
    scrubber = Scrubber(loads_policy(policy_text, "j.yaml"), codec=codec, key=KEY)
    out = scrubber.feed(dump) + scrubber.close()
    body = out.split(b"FROM stdin;\n", 1)[1].split(b"\\.\n", 1)[0]
    return [line.decode().split("\t") for line in body.splitlines()]


def test_paths_inside_documents_are_transformed(codec: ModuleType) -> None:
    """Named paths change, consistently with column transforms; others are kept."""
    rows = scrub(POLICY.replace("OTHER", "keep"), codec)
    doc = json.loads(rows[0][2])
    assert doc["patient"]["ssn"] == rows[0][1]  # same spec, same fake, in a column and a doc
    assert doc["patient"]["ssn"].startswith("9")
    assert doc["patient"]["name"] != "Jane Doe" and doc["notes"] == ""
    assert doc["patient"]["age"] == 44 and doc["codes"] == ["E11.9", "I10"]  # kept, typed
    assert rows[1][2] == "\\N"
    third = json.loads(rows[2][2])
    assert [v["date"] for v in third["visits"]] == ["2021-01-01", "2021-01-01"]
    assert third["patient"]["name"] is None


def test_other_paths_null_and_fail(codec: ModuleType) -> None:
    """other_paths: null removes unnamed members (their keys may be data); fail (the
    default) stops the run."""
    rows = scrub(POLICY.replace("OTHER", "null"), codec)
    doc = json.loads(rows[0][2])
    assert "age" not in doc["patient"] and "codes" not in doc
    assert doc["patient"]["ssn"] != "123-45-6789" and doc["notes"] == ""
    default = POLICY.replace("          other_paths: OTHER\n", "")
    scrubber = Scrubber(loads_policy(default, "j.yaml"), codec=codec, key=KEY)
    with pytest.raises(DumpError) as info:
        scrubber.feed(DUMP)
    assert info.value.column == "payload" and info.value.line == 8
    assert "other_paths: fail" in str(info.value) and "Jane" not in str(info.value)


def test_not_json_stops_the_run(codec: ModuleType) -> None:
    """A value that is not JSON stops the run at its row, never passing it through."""
    bad = DUMP.replace(b'{"patient": {"name": null}', b"not json at all {")
    with pytest.raises(DumpError) as info:
        scrub(POLICY.replace("OTHER", "keep"), codec, bad)
    assert info.value.line == 10 and "not JSON" in str(info.value)


@pytest.mark.parametrize("depth", [399, 401, 600, 3000, 10000])
def test_a_document_nested_deeper_than_the_reader_stops_the_run(codec: ModuleType,
                                                                  depth: int) -> None:
    """PostgreSQL keeps jsonb nested thousands of levels deep (as far as its
    max_stack_depth parses: 10,000 fits the default 2 MB). The compiled kernel declines
    past 400 levels and Python's reader recurses: such a value was an internal error
    (RecursionError, exit 1, no row named). It is scrubbed where the readers can read it
    and otherwise stops the run at its row, never passing it through."""
    deep = b'{"patient": {"name": "Jane Doe"}, "x": ' + b"[" * depth + b"1" + b"]" * depth + b"}"
    dump = DUMP.replace(b'{"patient": {"name": null}, "visits": [{"date": "2021-03-04"}, '
                        b'{"date": "2021-04-05"}]}', deep)
    assert dump != DUMP
    policy = POLICY.replace("OTHER", "keep")
    # (Python's reader stops near its recursion limit, 1,000 frames less the caller's:
    # 600 is read wherever the test runs, 3,000 nowhere)
    if depth <= 600:
        rows = scrub(policy, codec, dump)
        doc = json.loads(rows[2][2])
        assert doc["patient"]["name"] not in ("Jane Doe", None)
        return
    with pytest.raises(DumpError) as info:
        scrub(policy, codec, dump)
    assert info.value.line == 10 and info.value.column == "payload"
    assert "nested too deeply" in str(info.value)


def test_path_syntax() -> None:
    """The JSONPath subset parses, and a bad path is a policy error with its position."""
    assert parse_path("$.a['b c'][0][*]..d") == (
        ("key", "a"),
        ("key", "b c"),
        ("index", 0),
        ("wild", None),
        ("descend", "d"),
    )
    with pytest.raises(PolicyError) as info:
        loads_policy(POLICY.replace('"$.notes"', '"notes"').replace("OTHER", "keep"), "j.yaml")
    assert "j.yaml:12:13" in str(info.value) and "starts with $" in str(info.value)


KEYS_DUMP = DUMP.replace(
    b'2\t\\N\t\\N',
    b'2\t\\N\t{"notes": "x", "family": {"Jane Roe (wife)": {}, "Jim Roe": {"age": 4}}}',
)


@pytest.mark.parametrize("other", ["fail", "null", "keep"])
def test_object_keys_are_data(codec: ModuleType, other: str) -> None:
    """A key no path names is data: fail stops the run even when its value is empty, null
    removes the member, keep keeps it; keys below a transformed node are transformed."""
    policy = POLICY.replace("OTHER", other)
    if other == "fail":
        # Every other path of the documents named: only the key with an empty value is not.
        policy = policy.replace('"$.notes": {value: ""}',
                                '"$.notes": {value: ""}\n            "$.codes": keep\n'
                                '            "$.patient.age": keep')
        scrubber = Scrubber(loads_policy(policy, "j.yaml"), codec=codec, key=KEY)
        with pytest.raises(DumpError) as info:
            scrubber.feed(KEYS_DUMP)
        assert "object key" in str(info.value) and "Jane" not in str(info.value)
        assert info.value.line == 9
        return
    rows = scrub(policy, codec, KEYS_DUMP)
    doc = json.loads(rows[1][2])
    if other == "null":
        assert doc == {"notes": ""}
    else:
        assert doc["family"] == {"Jane Roe (wife)": {}, "Jim Roe": {"age": 4}}
    # A path that reaches the object transforms its keys like its values.
    faked = policy.replace('"$.notes": {value: ""}', '"$.family": {fake: name}')
    doc = json.loads(scrub(faked, codec, KEYS_DUMP)[1][2])
    assert len(doc["family"]) == 2 and "Jane Roe (wife)" not in doc["family"]
    assert "Jim Roe" not in doc["family"] and "Jim Roe" not in json.dumps(doc)
    # null on the object empties it, keys and all.
    nulled = policy.replace('"$.notes": {value: ""}', '"$.family": null')
    assert json.loads(scrub(nulled, codec, KEYS_DUMP)[1][2])["family"] is None


KEEP_POLICY = """version: 1
scrub:
  tables:
    public.claims:
      columns:
        id: keep
        ssn: {fake: ssn}
        payload:
          json:
            "$.patient": keep
            "$.notes": {value: ""}
          other_paths: OTHER
"""


@pytest.mark.parametrize("other", ["null", "fail"])
def test_a_keep_path_keeps_its_whole_subtree(codec: ModuleType, other: str) -> None:
    """`keep` on an object keeps it as it is, keys and values below it included, whatever
    other_paths says (docs/policy.md): the path names the subtree, so nothing in it is an
    unnamed member; members outside it still follow other_paths."""
    dump = DUMP.replace(b', "codes": ["E11.9", "I10"]', b"").replace(
        b'"visits": [{"date": "2021-03-04"}, {"date": "2021-04-05"}]', b'"notes": "x"')
    rows = scrub(KEEP_POLICY.replace("OTHER", other), codec, dump)
    doc = json.loads(rows[0][2])
    assert doc == {"notes": "", "patient": {"ssn": "123-45-6789", "name": "Jane Doe", "age": 44}}
    assert json.loads(rows[2][2]) == {"patient": {"name": None}, "notes": ""}
