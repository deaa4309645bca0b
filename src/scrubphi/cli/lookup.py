"""``scrubphi lookup``: build the free-text redactor's lookup of structured values.

Why a command of its own: in the streaming pipe (``pg_dump | scrubphi |
psql``) the notes of ``encounters`` pass before ``patients`` is read, so the
values a note must lose are gathered beforehand, from the dump or from the
source database, into a file of keyed hashes that ``scrubphi --lookup FILE``
then uses.  ``scrubphi refresh`` builds the same lookup by itself.

Exit codes: those of ``scrubphi`` (2 usage, 3 policy or key, 4 damaged dump,
6 input/output).
"""

from __future__ import annotations

import sys

import click

from . import _config_option, _errors_to_exit_codes, _input, _load, resolve_key

__all__ = ["lookup_command"]


@click.command("lookup")
@_config_option
@click.option("-i", "--input", "input_path", metavar="DUMP",
              help="Read the values from this plain-format dump (- for stdin).")
@click.option("--from", "source_url", metavar="URL",
              help="Read the values from this database instead (libpq URL or DSN).")
@click.option("-o", "--output", "output_path", required=True, metavar="FILE",
              help="Where to write the lookup (atomically, mode 0600).")
@click.option("--key", "key_ref", metavar="env:NAME|file:PATH",
              help="Where the secret key is; overrides the policy's scrub.key.")
def lookup_command(configs: tuple[str, ...], input_path: str | None, source_url: str | None,
                   output_path: str, key_ref: str | None) -> None:
    """Hash the values of the policy's name, street, town, phone and ID columns.

    \b
        scrubphi lookup -c phi_fields.yaml -i prod.sql -o notes.lookup
        scrubphi -c phi_fields.yaml --lookup notes.lookup < prod.sql | psql staging

    The file holds 64-bit keyed hashes only (never a value), usable only with
    the same key. Columns feed it when their transform says what they hold:
    {fake: first_name | last_name | name | street_address | address | city |
    phone_number | fax | ssn}, {tokenize: ...}, {hash: ...}.
    """
    from ..lookup import (
        lookup_columns,
        lookup_from_database,
        lookup_from_dump,
        lookup_when_columns,
    )

    if (input_path is None) == (source_url is None):
        raise click.UsageError("give exactly one of --input DUMP and --from URL")
    with _errors_to_exit_codes():
        policy = _load(configs)
        key = resolve_key(policy, key_ref, required=True)
        assert key is not None
        columns = lookup_columns(policy)
        ncolumns = sum(len(c) for c in columns.values()) + sum(
            len(c) for c in lookup_when_columns(policy).values())
        if not ncolumns:
            click.echo("the policy has no name, street, town, phone or ID column to look up",
                       err=True)
        if source_url is not None:
            lookup = lookup_from_database(source_url, policy, key)
        else:
            with _input(input_path) as src:
                lookup = lookup_from_dump(src, policy, key)
        lookup.save(output_path)
        counts = ", ".join(f"{kind} {n}" for kind, n in lookup.counts().items() if n)
        click.echo(
            f"lookup written: {len(lookup)} hashed values from "
            f"{ncolumns} column(s)"
            + (f" ({counts})" if counts else ""),
            err=True,
        )
        sys.stdout.flush()
