"""Find the bank, read its YAML files safely, and turn them into `Question`s.

Reading never raises on bad content: every problem becomes a `Problem` naming the file,
the line and the field, so `qbank validate` can report them all in one run. The YAML is
parsed once, with PyYAML's safe loader (no tag can construct an object); the node tree
gives each field its line and exposes duplicate keys, which `safe_load` would silently
merge. Nothing here imports torch.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: pydantic costs ~150 ms that find_root's callers need not pay
    import yaml  # ~20 ms: `find_root` does not need it (the quiz's start-up)

    from qbank.bank.schema import Question

Loc = tuple[str | int, ...]
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the qbank package; the bank sits beside it


def __getattr__(name: str):
    if name == "SafeLoader":  # libyaml's loader where there is one; yaml imported on first use
        import yaml

        return getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raise AttributeError(name)


class BankNotFound(Exception):
    """No `questions/` folder here or above, and none beside the installed package."""


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{_display(self.path)}:{self.line}: {self.field}: {self.message}"


@dataclass
class Source:
    """One parsed YAML file: its data, and the line of every field in it."""

    path: Path
    data: Any = None
    lines: dict[Loc, int] = field(default_factory=dict)

    def line(self, loc: Loc) -> int:
        """Line of `loc`, or of its nearest enclosing field that exists in the file."""
        while loc and loc not in self.lines:
            loc = loc[:-1]
        return self.lines.get(loc, 1)


@dataclass
class Bank:
    root: Path
    questions: list[Question]
    sources: dict[str, Source]  # question id -> its file
    problems: list[Problem]
    invalid: list[Source] = field(default_factory=list)  # files that parse but fail the schema
    unreadable: list[Path] = field(default_factory=list)  # files that do not even parse

    @cached_property
    def by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    def problem(self, question_id: str, loc: Loc, message: str) -> Problem:
        src = self.sources[question_id]
        return Problem(src.path, src.line(loc), _dotted(loc), message)

    @property
    def questions_dir(self) -> Path:
        return self.root / "questions"


def find_root(start: Path | None = None) -> Path:
    """The project whose bank to use: the nearest folder at or above `start` (default:
    the current directory) holding `questions/` and `checks/`, like git finds its repo;
    else `$QBANK_ROOT`; else the bank beside the installed package."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "questions").is_dir() and (folder / "checks").is_dir():
            return folder
    for folder in (os.environ.get("QBANK_ROOT"), PACKAGE_DIR.parent):
        if folder and (Path(folder) / "questions").is_dir():
            return Path(folder).resolve()
    raise BankNotFound(f"no question bank (a folder with questions/ and checks/) in {here} or above")


def load_bank(root: Path | None = None) -> Bank:
    root = root or find_root()
    questions: list[Question] = []
    sources: dict[str, Source] = {}
    problems: list[Problem] = []
    invalid: list[Source] = []
    unreadable: list[Path] = []
    for path in sorted((root / "questions").glob("*/*.yaml")):
        src, found = parse_file(path)
        problems += found
        if src.data is None:
            unreadable.append(path)
            continue
        question, found = _validate(src)
        problems += found
        if question is None:
            invalid.append(src)
            continue
        if question.id in sources:
            first = sources[question.id].path
            problems.append(Problem(path, src.line(("id",)), "id",
                                    f"duplicate id {question.id!r}: {_display(first)} has it already"))
            continue
        sources[question.id] = src
        questions.append(question)
    return Bank(root, questions, sources, problems, invalid, unreadable)


def parse_file(path: Path) -> tuple[Source, list[Problem]]:
    import yaml

    src = Source(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return src, [Problem(path, 1, "(file)", f"cannot read: {e}")]
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return src, [Problem(path, 1, "(file)", "the file is empty; expected the fields of a question")]
        problems = _walk(node, (), src, [])
        src.data = loader.construct_document(node)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        context = e.context
        if context and e.context_mark and e.problem_mark and e.context_mark.line != e.problem_mark.line:
            context += f" (opened at line {e.context_mark.line + 1})"  # where a missing ']' or '}' belongs
        return src, [Problem(path, line, "(yaml)", " ".join(filter(None, [context, e.problem])))]
    except yaml.YAMLError as e:
        return src, [Problem(path, 1, "(yaml)", str(e))]
    finally:
        loader.dispose()
    if not isinstance(src.data, dict):
        problems.append(Problem(path, 1, "(file)",
                                f"expected a mapping of fields, got {type(src.data).__name__}"))
        src.data = None
    return src, problems


def _walk(node: yaml.Node, loc: Loc, src: Source, problems: list[Problem]) -> list[Problem]:
    import yaml

    src.lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(Problem(src.path, line, _dotted((*loc, key)),
                                        f"duplicate key (first given on line {seen[key]})"))
                continue
            seen[key] = line
            src.lines[(*loc, key)] = line
            _walk(value_node, (*loc, key), src, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*loc, i), src, problems)
    return problems


def _validate(src: Source) -> tuple[Question | None, list[Problem]]:
    from pydantic import ValidationError

    from qbank.bank.schema import Question

    try:
        return Question.model_validate(src.data), []
    except ValidationError as e:
        errors = [(tuple(p for p in err["loc"] if not str(p).startswith("function-after")), err)
                  for err in e.errors(include_url=False)]
        missing = {loc for loc, err in errors if err["type"] == "missing"}
        meant: dict[Loc, str] = {}  # a misspelled field -> the field it was meant to be
        for loc, err in errors:
            if err["type"] == "extra_forbidden" and isinstance(loc[-1], str):
                known = _fields_at(Question, loc[:-1])
                close = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.6)
                if close:
                    meant[loc] = close[0]
        explained = {(*loc[:-1], name) for loc, name in meant.items() if (*loc[:-1], name) in missing}
        problems = []
        for loc, err in errors:
            if loc in explained:  # "claim: Field required" is the typo `cliam` below
                continue
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown field (not part of the question format)"
                if loc in meant:
                    msg = f"unknown field; did you mean `{meant[loc]}`?"
            elif err["type"] == "literal_error":
                msg = f"{msg}, got {err['input']!r}"
            problems.append(Problem(src.path, src.line(loc), _dotted(loc) or "(question)", msg))
        return None, problems


def _fields_at(model, loc: Loc) -> list[str]:
    """The field names of the schema model found at `loc` (list indices skipped), if any."""
    import typing

    from pydantic import BaseModel

    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        model = field.annotation
        while typing.get_origin(model) is not None:  # list[Claim], Claim | None -> Claim
            args = [a for a in typing.get_args(model) if a is not type(None)]
            model = args[0] if args else None
    return list(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []


def _dotted(loc: Loc) -> str:
    return ".".join(str(p) for p in loc)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
