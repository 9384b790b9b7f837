"""What a package's modules import, for the tests that keep the pure layers pure."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path


def imports(package_dir: Path) -> Iterator[tuple[str, str]]:
    """(file name, imported module) for every import statement of the package's modules."""
    for path in package_dir.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                yield from ((path.name, a.name) for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                yield path.name, node.module or ""
