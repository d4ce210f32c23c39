"""Entry point for ``python -m sandbox.axerrio``."""

from sandbox.axerrio.cli import main

raise SystemExit(main())
