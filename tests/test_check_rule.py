"""The rule for checks, read from their syntax trees.

1. A claim about a component is proven on the implementation under test: a claim or erratum of
   kind `component` cites a check that calls a contract name on `impl`, and a `fact` or `library`
   one cites a check that does not (`qbank validate` holds each claim to this; the real bank
   validates in tests/test_validate.py).
2. A helper written in checks/ is an oracle to compare `impl` against, never the thing proven:
   reference implementations live in `checks/oracles/`, a check that calls one also reads `impl`,
   and no check file defines an `nn.Module` of its own.
3. A number is derived by code, never typed in and then re-asserted: no `assert` compares values
   built only from literals (`assert 175e9 * 2 == 350e9`).
4. Every check that reads `impl` fails for some classic bug: tests/test_broken_impls.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

from qbank.bank.checks import check_functions

ROOT = Path(__file__).resolve().parents[1]
CHECK_FILES = sorted((ROOT / "checks").glob("test_*.py"))
PURE = {"dict", "abs", "int", "float", "round", "min", "max", "sum", "pow", "divmod", "len", "str", "bool", "math", "ceil",
        "floor", "sqrt", "log", "log2", "exp", "isclose", "prod", "comb"}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_no_check_file_defines_a_module_of_its_own():
    found = [f"{p.relative_to(ROOT)}:{n.lineno}: class {n.name}" for p in CHECK_FILES for n in ast.walk(_tree(p))
             if isinstance(n, ast.ClassDef) and any("Module" in ast.unparse(b) or "nn." in ast.unparse(b)
                                                   for b in n.bases)]
    assert not found, ("a module written in a check file is proven by nothing: move it to checks/oracles/ "
                       "and compare impl against it:\n" + "\n".join(found))


def _oracle_names(tree: ast.Module) -> set[str]:
    return {alias.asname or alias.name for node in tree.body if isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("checks.oracles") for alias in node.names}


def _mentions(tree: ast.Module) -> dict[str, set[str]]:
    """Module-level function -> every name it mentions, through the file's other functions."""
    direct = {n.name: {s.id for s in ast.walk(n) if isinstance(s, ast.Name)} for n in tree.body
              if isinstance(n, ast.FunctionDef)}
    closed = {}
    for name in direct:
        seen, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo += [m for m in direct.get(current, ()) if m in direct]
        closed[name] = set().union(*(direct[f] for f in seen))
    return closed


def test_a_check_that_calls_an_oracle_also_grades_the_implementation():
    reads = check_functions(ROOT)
    wrong = []
    for path in CHECK_FILES:
        tree = _tree(path)
        oracles = _oracle_names(tree)
        for name, mentioned in _mentions(tree).items():
            node = f"checks/{path.name}::{name}"
            if name.startswith("test_") and mentioned & oracles and not reads.get(node):
                wrong.append(f"{node} uses {sorted(mentioned & oracles)} but never calls impl")
    assert not wrong, "an oracle is compared against impl, never proven on its own:\n" + "\n".join(wrong)


class _Literal(ast.NodeVisitor):
    """Is an expression built only from literals, names bound to literals and pure functions?"""

    def __init__(self, bound: set[str]):
        self.bound = bound

    def __call__(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.Name):
            return node.id in self.bound
        if isinstance(node, (ast.BinOp,)):
            return self(node.left) and self(node.right)
        if isinstance(node, ast.UnaryOp):
            return self(node.operand)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return all(self(e) for e in node.elts)
        if isinstance(node, ast.Dict):
            return all(k is not None and self(k) for k in node.keys) and all(self(v) for v in node.values)
        if isinstance(node, ast.Subscript):
            return self(node.value) and self(node.slice)
        if isinstance(node, ast.Compare):
            return self(node.left) and all(self(c) for c in node.comparators)
        if isinstance(node, ast.BoolOp):
            return all(self(v) for v in node.values)
        if isinstance(node, ast.Call):
            func = ast.unparse(node.func).split(".")
            return (func[-1] in PURE and all(part in PURE for part in func)
                    and all(self(a) for a in node.args) and all(self(k.value) for k in node.keywords))
        return False


def _literal_names(body: list[ast.stmt], bound: set[str]) -> set[str]:
    """Names every assignment of which (in `body`, nested blocks included) is a literal."""
    assigned: dict[str, list[ast.AST]] = {}
    for node in [n for stmt in body for n in ast.walk(stmt)]:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                pairs = [(target, node.value)]
                if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple) \
                        and len(target.elts) == len(node.value.elts):
                    pairs = list(zip(target.elts, node.value.elts))  # D, F = 12, 48
                for t_node, value in pairs:
                    for t in ast.walk(t_node):
                        if isinstance(t, ast.Name):
                            assigned.setdefault(t.id, []).append(value if isinstance(t_node, ast.Name) else None)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name):  # seen.append(...): filled by code
            assigned.setdefault(node.func.value.id, []).append(None)
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name)
                                                  for t in node.targets):
            for t in node.targets:
                if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
                    assigned.setdefault(t.value.id, []).append(None)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and isinstance(node.target, ast.Name):
            assigned.setdefault(node.target.id, []).append(node.value)
        elif isinstance(node, ast.For):
            for t in ast.walk(node.target):
                if isinstance(t, ast.Name):
                    assigned.setdefault(t.id, []).append(node.iter)
        elif isinstance(node, (ast.FunctionDef, ast.Lambda, ast.comprehension)):
            args = node.args.args if not isinstance(node, ast.comprehension) else []
            for a in args:
                assigned.setdefault(a.arg, []).append(None)
    changed = True
    while changed:
        changed = False
        literal = _Literal(bound)
        for name, values in assigned.items():
            if name not in bound and all(v is not None and literal(v) for v in values):
                bound.add(name)
                changed = True
    return bound


def test_no_check_asserts_arithmetic_on_literals():
    vacuous = []
    for path in CHECK_FILES:
        tree = _tree(path)
        module_bound = _literal_names([n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.ClassDef))],
                                      set())
        for function in [n for n in tree.body if isinstance(n, ast.FunctionDef)]:
            params = {a.arg for a in function.args.args + function.args.kwonlyargs}
            bound = _literal_names(function.body, set(module_bound) - params)
            literal = _Literal(bound - params)
            for node in ast.walk(function):
                if isinstance(node, ast.Assert) and literal(node.test):
                    vacuous.append(f"{path.relative_to(ROOT)}:{node.lineno}: assert {ast.unparse(node.test)[:100]}")
    assert not vacuous, ("these asserts compare numbers the check typed in itself, so they cannot fail: derive "
                         "one side from code (a tensor, a FLOP counter, a meta-device model):\n" + "\n".join(vacuous))
