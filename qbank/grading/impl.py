"""Load an implementation under test: a module name, a .py file or a package folder.

`load_implementation("solutions")`, `load_implementation("my_attention.py")` and
`load_implementation("qbank.adapters.pytorch")` all return a module. A file that does not
import raises `ImplementationError` whose message names the file and line, and what went
wrong, with no traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
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
    try:
        module_spec.loader.exec_module(module)
    except Exception as e:  # noqa: BLE001
        del sys.modules[name]
        raise ImplementationError(_describe(e, spec)) from None
    return module


def provided_names(module: ModuleType) -> list[str]:
    """The contract names this implementation defines."""
    return [n for n in NAMES if hasattr(module, n)]


def _describe(error: BaseException, spec: str) -> str:
    """'file:line: ErrorType: message' for the innermost frame in the learner's code."""
    if isinstance(error, SyntaxError) and error.filename:
        return f"{error.filename}:{error.lineno}: {type(error).__name__}: {error.msg}"
    frames = traceback.extract_tb(error.__traceback__)
    own = [f for f in frames if "importlib" not in f.filename and not f.filename.startswith("<frozen")]
    where = f"{own[-1].filename}:{own[-1].lineno}" if own else spec
    return f"{where}: {type(error).__name__}: {error}"
