"""What the check files hold, read from their syntax trees without importing them (no torch).

- `collect_checks`: every check function and where it is defined;
- `check_functions`: every check and the contract names it reads from the implementation
  under test (`impl.NAME`), directly or through a helper or fixture of its own file or of
  checks/conftest.py. A check that reads a name grades the implementation (a claim of kind
  `component`); one that reads none states a fact of mathematics or of a library.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

from qbank.bank.loader import Problem
from qbank.contract import NAMES


def collect_checks(checks_dir: Path) -> tuple[dict[str, tuple[Path, int]], list[Problem]]:
    """Every check function: 'checks/test_x.py::test_y' -> (file, line)."""
    found: dict[str, tuple[Path, int]] = {}
    problems: list[Problem] = []
    for path in sorted(checks_dir.glob("test_*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except SyntaxError as e:
            problems.append(Problem(path, e.lineno or 1, "(python)", f"SyntaxError: {e.msg}"))
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                found[f"checks/{path.name}::{node.name}"] = (path, node.lineno)
    return found, problems




Functions = dict[str, tuple[set[str], set[str]]]


def check_functions(root: Path, functions_of: Callable[[Path], Functions] | None = None) -> dict[str, set[str]]:
    """Every check 'checks/test_x.py::test_y' -> the contract names it reads from `impl`.
    `functions_of(path)` reads a file's functions (default `file_functions`; the CLI passes
    one that remembers them: `qbank.cli.catalog_cache.check_reads`)."""
    functions_of = functions_of or file_functions
    shared = functions_of(root / "checks" / "conftest.py")
    found: dict[str, set[str]] = {}
    for path in sorted((root / "checks").glob("test_*.py")):
        functions = {**shared, **functions_of(path)}
        for name in functions:
            if name.startswith("test_") and name not in shared:
                found[f"checks/{path.name}::{name}"] = _reads(name, functions)
    return found


def file_functions(path: Path) -> Functions:
    """Module-level function -> (names it reads as impl.NAME, module names it mentions)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError):
        return {}
    out = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            reads, mentions = set(), {a.arg for a in node.args.args + node.args.kwonlyargs}
            for sub in ast.walk(node):
                if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == "impl":
                    reads.add(sub.attr)
                elif isinstance(sub, ast.Name):
                    mentions.add(sub.id)
            out[node.name] = (reads & set(NAMES), mentions)
    return out


def _reads(name: str, functions: dict[str, tuple[set[str], set[str]]]) -> set[str]:
    reads, todo, seen = set(), [name], set()
    while todo:
        current = todo.pop()
        if current in seen or current not in functions:
            continue
        seen.add(current)
        own, mentions = functions[current]
        reads |= own
        todo += [m for m in mentions if m in functions]
    return reads
