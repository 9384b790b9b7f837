"""``python -m presshold`` is the same as the ``presshold`` command."""

from presshold.cli import main

raise SystemExit(main())
