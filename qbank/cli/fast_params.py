"""Convert plain command-line values without pydantic, for start-up speed.

Typer 0.29 converts every command-line value (all but bool flags) through a pydantic
`TypeAdapter`, so any command that takes a parameter first imports pydantic: ~100 ms, a
third of the quiz's start-up budget. The parameters of this CLI are plain: `str`, `bool`,
`int` (with bounds), `Path` and `list[str]`. `install()` converts those itself, the way typer
does (same errors: exit code 2 and a usage message); anything else still goes through
typer's own conversion. It relies on two typer internals (`typer.core._TyperParameter.
get_runtime_param` and `typer._coercion.RuntimeParam`); if they are missing (another
typer version), it does nothing and typer works as usual, only slower.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

TRUE = ("1", "true", "t", "yes", "y", "on")
FALSE = ("0", "false", "f", "no", "n", "off", "")
PATH_FLAGS_NOT_HANDLED = ("exists", "resolve_path", "writable", "allow_dash", "path_type")


def plain(annotation: Any, info: Any, file_annotation: Any = None) -> bool:
    """Whether this parameter is one `install` converts itself."""
    if file_annotation is not None or getattr(info, "parser", None) is not None:
        return False
    if getattr(info, "click_type", None) is not None:
        return False
    if get_origin(annotation) is list:
        return get_args(annotation) == (str,)
    if annotation in (str, bool):
        return True
    if annotation is int:
        return not getattr(info, "clamp", False)
    if annotation is Path:
        return not any(getattr(info, flag, None) for flag in PATH_FLAGS_NOT_HANDLED)
    return False


def convert(annotation: Any, info: Any, value: Any) -> Any:
    """The converted value; ValueError with typer's wording if it is not valid."""
    if get_origin(annotation) is list:
        return [convert(str, info, item) for item in value]
    if annotation is str:
        return value if isinstance(value, str) else str(value)
    if annotation is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in TRUE or text in FALSE:
            return text in TRUE
        raise ValueError(f"{value!r} is not a valid boolean.")
    if annotation is int:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValueError(f"{value!r} is not a valid integer.") from None
        low, high = getattr(info, "min", None), getattr(info, "max", None)
        if (low is not None and number < low) or (high is not None and number > high):
            bounds = " and ".join(b for b in (f"x>={low}" if low is not None else "",
                                              f"x<={high}" if high is not None else "") if b)
            raise ValueError(f"{number} is not in the range {bounds}.")
        return number
    if annotation is Path:
        path = value if isinstance(value, Path) else Path(value)
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return path
        label = "File" if not getattr(info, "dir_okay", True) else "Directory" if not getattr(
            info, "file_okay", True) else "Path"
        if not getattr(info, "file_okay", True) and stat.S_ISREG(mode):
            raise ValueError(f"{label} {str(value)!r} is a file.")
        if not getattr(info, "dir_okay", True) and stat.S_ISDIR(mode):
            raise ValueError(f"{label} {str(value)!r} is a directory.")
        if getattr(info, "readable", False) and not os.access(path, os.R_OK):
            raise ValueError(f"{label} {str(value)!r} is not readable.")
        return path
    raise TypeError(f"not a plain annotation: {annotation!r}")


def install() -> bool:
    """Route plain parameters of every typer command through `convert`. Returns whether
    it could (False on a typer without the expected internals)."""
    try:
        from typer import core
        from typer._click.exceptions import BadParameter
        from typer._coercion import RuntimeParam
    except ImportError:
        return False
    original = getattr(core._TyperParameter, "get_runtime_param", None)
    if original is None or getattr(original, "_qbank_plain", False):
        return original is not None

    @dataclass(frozen=True)
    class PlainParam(RuntimeParam):
        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                return convert(self.annotation, self.parameter_info, value)
            except ValueError as e:
                raise BadParameter(str(e), ctx=ctx, param=param) from None

    def get_runtime_param(self):
        if getattr(self, "_runtime_param", None) is None:
            d = self.type_descriptor
            if plain(d.annotation, d.parameter_info, d.file_annotation):
                self._runtime_param = PlainParam(parameter_info=d.parameter_info, annotation=d.annotation)
        return original(self)

    get_runtime_param._qbank_plain = True
    core._TyperParameter.get_runtime_param = get_runtime_param
    return True
