"""``python -m scrubphi`` is the ``scrubphi`` command."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    main(prog_name="scrubphi")
