"""Example backend v1 for the canary walkthrough: `python examples/backends/v1.py --port N`.

See backend_common.py for the options (--fail-ratio, --delay, --unhealthy).
"""

from __future__ import annotations

from backend_common import main

if __name__ == "__main__":
    main("v1")
