"""What a failing check tells a learner: its inputs, what it expected against what it got.

Runs inside the pytest process of the checks (checks/conftest.py imports it), where torch is
loaded; the CLI only reads what it wrote into the report.

- `failure_details(exc)`: from the exception a check raised, with the notes Hypothesis adds
  ("Failing test case: test_x(q=..., data=data(...))", "Draw 1 (mask): ...", the
  `@reproduce_failure` blob), every input by name: the arguments, then each value drawn
  with `data.draw(..., label=...)` under its label (an unlabelled draw is "draw N"). A tuple
  argument whose name spells one letter per element (`qkv`) is split into q, k and v.
- `comparison(actual, expected)`: for a failed `torch.testing.assert_close(actual, expected)`,
  where the two differ most and their values there (and both in full when small).
  checks/conftest.py wraps `torch.testing.assert_close` so that every failed comparison
  carries it (`_qbank_comparison` on the exception, and a note for plain pytest runs).
- `show(value)`: one compact line for a value: a tensor as nested lists with its dtype and
  shape, floats with six significant digits.
"""

from __future__ import annotations

import ast
import math
import re
from typing import Any

MAX_SHOWN = 48  # elements of a tensor shown in full; larger ones by shape and a few values
BANK_EXAMPLES = 40  # Hypothesis examples per check when the bank is proven (profile `fast`)
GRADE_EXAMPLES = 20  # ... when `qbank grade` grades a learner's file (profile `grade`)

_CALL = re.compile(r"(?:Failing|Falsifying)(?: explicit)? (?:test case|example): (.*)", re.S)
_DRAW = re.compile(r"Draw (\d+)(?: \((.*?)\))?: (.*)", re.S)
_BLOB = re.compile(r"(@reproduce_failure\(.*?\))")


def failure_details(exc: BaseException) -> dict:
    """{'message': 'Type: text', 'inputs': [[label, text], ...], 'compare': {...} | None,
    'reproduce': blob, 'notes': [...], 'others': n} for the exception a failing check raised
    (the first, when Hypothesis found several distinct failures). The message is read from the
    exception itself, so it does not depend on pytest's --tb style."""
    others = 0
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        others += len(exc.exceptions) - 1
        exc = exc.exceptions[0]
    text = str(exc).strip()
    message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    if others:
        message += f"\n(and {others} other distinct failure{'s' if others > 1 else ''})"
    inputs: list[list[str]] = []
    reproduce, notes, explicit = "", [], False
    for note in getattr(exc, "__notes__", None) or []:
        if call := _CALL.match(note):
            inputs += call_arguments(call.group(1))
            explicit = " explicit " in note.split(":", 1)[0] + " "  # the check's own @example: no blob
        elif draw := _DRAW.match(note):
            inputs.append([draw.group(2) or f"draw {draw.group(1)}", value_text(draw.group(3))])
        elif blob := _BLOB.search(note):
            reproduce = blob.group(1)
        elif not note.startswith("qbank: "):  # our own note repeats `compare`
            notes.append(note.strip())
    return {"message": "\n".join(message.splitlines()[:12]), "inputs": inputs,
            "compare": getattr(exc, "_qbank_comparison", None), "reproduce": reproduce,
            "explicit": explicit, "notes": [n for n in notes if n][:5], "others": others}


def call_arguments(call: str) -> list[list[str]]:
    """'test_x(impl=<...>, qkv=(a, b, c), data=data(...))' -> [['q', a], ['k', b], ['v', c]]:
    the arguments as Hypothesis printed them, without the implementation and `data`."""
    cleaned = re.sub(r"<[^<>]*>", "None", call.strip().rstrip(","))
    try:
        tree = ast.parse(cleaned, mode="eval").body
    except SyntaxError:
        return [["example", " ".join(call.split())]]
    if not isinstance(tree, ast.Call):
        return [["example", " ".join(call.split())]]
    out = []
    for kw in tree.keywords:
        if kw.arg is None or kw.arg in ("impl", "self") or kw.arg.endswith("_fixture"):
            continue
        text = ast.get_source_segment(cleaned, kw.value) or ""
        if kw.arg == "data" and text.startswith("data("):
            continue  # its draws come as their own notes
        value = _evaluate(text)
        if (isinstance(value, tuple) and kw.arg.isalpha() and len(kw.arg) == len(value) > 1):
            out += [[letter, show(v)] for letter, v in zip(kw.arg, value)]
        else:
            out.append([kw.arg, show(value) if value is not _UNKNOWN else _squeeze(text)])
    return out


def value_text(text: str) -> str:
    value = _evaluate(text.strip())
    return show(value) if value is not _UNKNOWN else _squeeze(text)


_UNKNOWN = object()


def _evaluate(text: str) -> Any:
    """The value a repr printed by Hypothesis stands for, when it is made of tensors, arrays and
    plain literals only; _UNKNOWN otherwise (then the text itself is shown)."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return _UNKNOWN
    allowed = {"tensor", "from_numpy", "array", "torch", "float64", "float32", "float16", "bfloat16", "bool",
               "int64", "dtype", "inf", "nan", "True", "False", "None"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in allowed:
            return _UNKNOWN
        if isinstance(node, ast.Attribute) and not (isinstance(node.value, ast.Name) and node.value.id == "torch"):
            return _UNKNOWN
    import numpy as np
    import torch

    namespace = {"tensor": torch.tensor, "from_numpy": torch.from_numpy, "array": np.array, "torch": torch,
                 "inf": float("inf"), "nan": float("nan"), "float64": np.float64, "float32": np.float32,
                 "float16": np.float16, "bool": np.bool_, "int64": np.int64, "dtype": np.dtype}
    try:
        # every name and attribute was checked above; torch itself needs the builtins while it builds tensors
        return eval(compile(tree, "<example>", "eval"), dict(namespace))  # noqa: S307
    except Exception:  # noqa: BLE001 - any repr we cannot rebuild is shown as printed
        return _UNKNOWN


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def show(value: Any) -> str:
    """One compact line: '[[1, 0.5]]  (float64, shape [1, 2])', '(1, 2)', '0.25'."""
    import torch

    if isinstance(value, torch.Tensor):
        t = value.detach().cpu()
        kind = str(t.dtype).removeprefix("torch.")
        if t.dim() == 0:
            return f"{_scalar(t.item())}  ({kind})"
        shape = f"shape [{', '.join(map(str, t.shape))}]"
        if t.numel() > MAX_SHOWN:
            flat = ", ".join(_scalar(x) for x in t.flatten()[:6].tolist())
            return f"{kind}, {shape}: {flat}, …"
        return f"{_nested(t.tolist())}  ({kind}, {shape})"
    if type(value).__module__ == "numpy":
        import numpy as np

        return show(torch.from_numpy(np.asarray(value)))
    if isinstance(value, tuple):
        return "(" + ", ".join(show(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, float):
        return _scalar(value)
    return repr(value)


def _nested(x: Any) -> str:
    if isinstance(x, list):
        return "[" + ", ".join(_nested(v) for v in x) + "]"
    return _scalar(x)


def _scalar(x: Any) -> str:
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, float):
        return f"{x:.6g}"
    return str(x)


def comparison(actual: Any, expected: Any) -> dict | None:
    """Where `actual` and `expected` differ most: {'summary': one line, 'got': ..., 'expected': ...}.
    None when they cannot be read as tensors."""
    import torch

    try:
        a, e = torch.as_tensor(actual).detach().cpu(), torch.as_tensor(expected).detach().cpu()
    except Exception:  # noqa: BLE001 - not tensors: assert_close's own message says it
        return None
    full = {"got": show(a), "expected": show(e)} if max(a.numel(), e.numel()) <= MAX_SHOWN else {}
    if a.shape != e.shape:
        return {"summary": f"got shape [{', '.join(map(str, a.shape))}], "
                           f"expected [{', '.join(map(str, e.shape))}]", **full}
    if a.numel() == 0 or a.is_complex() or e.is_complex():
        return {"summary": "", **full} if full else None
    a64, e64 = a.double(), e.double()
    diff = (a64 - e64).abs()
    diff = torch.where(a64.isnan() & e64.isnan(), 0.0, diff)  # NaN where NaN is expected: equal
    diff = torch.where(a64.isnan() ^ e64.isnan(), float("inf"), diff)
    diff = torch.where(a64.isinf() & e64.isinf() & (a64 == e64), 0.0, diff)  # inf - inf = nan
    flat = int(diff.flatten().argmax())
    index = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), a.shape)) if a.dim() else ()
    got, want = a[index].item() if a.dim() else a.item(), e[index].item() if e.dim() else e.item()
    where = f" at index {index}" if a.dim() else ""
    difference = float(diff.flatten()[flat])
    size = f" (difference {_scalar(difference)})" if math.isfinite(difference) else ""
    summary = f"largest difference{where}: got {_scalar(got)}, expected {_scalar(want)}{size}"
    if a.dtype != e.dtype:
        kinds = f"got dtype {str(a.dtype).removeprefix('torch.')}, expected {str(e.dtype).removeprefix('torch.')}"
        summary = kinds if difference == 0 else f"{kinds}; {summary}"
    return {"summary": summary, **full}
