"""Load an implementation under test: a module name, a .py file or a package folder.

`load_implementation("solutions")`, `load_implementation("my_attention.py")` and
`load_implementation("qbank.adapters.pytorch")` all return a module. A file that does not
import raises `ImplementationError` whose message names the file and line, and what went
wrong, with no traceback.

A file is loaded the way Python runs a script: its folder comes first on `sys.path`, so it
can import its own helper modules (`from my_helpers import rms`). No bytecode is written
beside it (no `__pycache__` in the learner's folder).

`contract_problem` says when a module given as the implementation under test defines no
contract name, or misspells one (`MultiheadAttention` for `MultiHeadAttention`), so that a
run does not skip every check and pass. Nothing here imports torch.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from qbank.contract import NAMES


class ImplementationError(Exception):
    """The implementation under test could not be loaded."""


def is_path(spec: str) -> bool:
    return spec.endswith(".py") or "/" in spec or "\\" in spec or Path(spec).is_dir()


def load_implementation(spec: str) -> ModuleType:
    if not is_path(spec):
        try:
            return importlib.import_module(spec)
        except ModuleNotFoundError as e:
            if e.name and spec.startswith(e.name):
                raise ImplementationError(f"{spec}: no module named {e.name!r} (give a module name, "
                                          f"a .py file or a package folder)") from None
            raise ImplementationError(_describe(e, spec)) from None
        except Exception as e:  # noqa: BLE001 - any error in the learner's code is reported
            raise ImplementationError(_describe(e, spec)) from None
    path = Path(spec).resolve()
    if path.is_dir():
        init = path / "__init__.py"
        if not init.is_file():
            raise ImplementationError(f"{spec}: a package folder needs an __init__.py")
        location, search = init, [str(path)]
    elif path.is_file():
        location, search = path, None
    else:
        raise ImplementationError(f"{spec}: no such file or folder")
    name = f"qbank_impl_{path.stem}"
    module_spec = importlib.util.spec_from_file_location(name, location, submodule_search_locations=search)
    if module_spec is None or module_spec.loader is None:
        raise ImplementationError(f"{spec}: not a Python file")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # its own helper modules import as they would from a script
    try:
        with _no_bytecode():
            module_spec.loader.exec_module(module)
    except Exception as e:  # noqa: BLE001
        del sys.modules[name]
        raise ImplementationError(_describe(e, spec)) from None
    return module


@contextmanager
def _no_bytecode():
    """No __pycache__ beside the learner's file or the helpers it imports."""
    before = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        yield
    finally:
        sys.dont_write_bytecode = before


def provided_names(module: ModuleType) -> list[str]:
    """The contract names this implementation defines."""
    return [n for n in NAMES if hasattr(module, n)]


def near_misses(defined: dict[str, str | None]) -> dict[str, str]:
    """Names that look like a contract name they are not, of the same kind ("class" or
    "function"; None matches either): {'MultiheadAttention': 'MultiHeadAttention',
    'split_head': 'split_heads'}. Only contract names missing from `defined` are candidates,
    so a helper next to the real name is never taken for a typo."""
    missing = {n: v for n, v in NAMES.items() if n not in defined}
    squashed = {n.lower().replace("_", ""): n for n in missing}
    found = {}
    for name, kind in sorted(defined.items()):
        if name.startswith("_") or name in NAMES:
            continue
        same_kind = [n for n, v in missing.items() if kind is None or v.kind == kind]
        target = squashed.get(name.lower().replace("_", ""))
        if target is None or target not in same_kind:
            close = difflib.get_close_matches(name, same_kind, n=1, cutoff=0.88)
            target = close[0] if close else None
        if target:
            found[name] = target
    return found


def own_names(module: ModuleType) -> dict[str, str | None]:
    """Public names a module defines itself, with their kind: its classes ("class"), functions
    ("function") and other values (None). Names imported from elsewhere (`torch`, `nn`, a
    function of another module) are left out."""
    out: dict[str, str | None] = {}
    for name, value in vars(module).items():
        if name.startswith("_") or isinstance(value, ModuleType):
            continue
        if getattr(value, "__module__", module.__name__) != module.__name__ and callable(value):
            continue
        out[name] = "class" if isinstance(value, type) else "function" if callable(value) else None
    return out


def contract_problem(module: ModuleType, spec: str) -> str | None:
    """Why `module` cannot be graded as it stands, or None: it defines no contract name, or
    misspells some (each check of a misspelled name would only be skipped)."""
    misses = near_misses({**own_names(module), **{n: NAMES[n].kind for n in provided_names(module)}})
    if misses:
        said = ", ".join(f"{wrong!r} (did you mean {right!r}?)" for wrong, right in misses.items())
        return f"{spec} defines {said}: the checks look names up exactly as the contract spells them"
    if not provided_names(module):
        return (f"{spec} defines none of the contract's names (e.g. {next(iter(NAMES))!r}), so every check "
                f"would be skipped; `qbank practice` lists the components and writes a starter file")
    return None


def _describe(error: BaseException, spec: str) -> str:
    """'file:line: ErrorType: message' for the innermost frame in the learner's code."""
    if isinstance(error, SyntaxError) and error.filename:
        return f"{error.filename}:{error.lineno}: {type(error).__name__}: {error.msg}"
    frames = traceback.extract_tb(error.__traceback__)
    own = [f for f in frames if "importlib" not in f.filename and not f.filename.startswith("<frozen")]
    where = f"{own[-1].filename}:{own[-1].lineno}" if own else spec
    return f"{where}: {type(error).__name__}: {error}"
