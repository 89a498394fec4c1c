"""A fast, read-only view of the bank for the quiz, list, show, stats and export commands.

`qbank.bank.load_bank` validates every file against the pydantic schema and records the
line of every field: exactly right for `qbank validate`, but building the schema alone
costs ~150 ms, half the start-up budget of the quiz. This view reads the same YAML with
libyaml and keeps only the fields those commands show, checking their types. A file
that does not fit is skipped with a one-line warning pointing to `qbank validate`, which
reports every problem with file:line; the quiz never crashes because of one bad file.
Nothing here imports pydantic or torch.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qbank.bank.loader import find_root
from qbank.bank.topics import DIFFICULTIES, TOPICS


def __getattr__(name: str):
    if name == "Loader":  # libyaml's loader; yaml (~20 ms) is imported when a file is read, not before
        import yaml

        return getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raise AttributeError(name)
TITLE_MAX = 60  # characters of a question's short title (`title:`)


def default_title(question: str) -> str:
    """A short title for a question that gives none: its first sentence, cut at a clause
    boundary when longer than TITLE_MAX ("What is KV caching in autoregressive decoding?")."""
    text = " ".join(question.split())
    first = re.match(r".+?[?.!](?=\s|$)", text)
    sentence = first.group(0) if first else text
    if len(sentence) <= TITLE_MAX:
        return sentence
    cut = sentence[:TITLE_MAX]
    for mark in (": ", "; ", ", ", " ("):
        if (i := cut.rfind(mark)) >= 20:
            return cut[:i] + "…"
    return cut.rsplit(" ", 1)[0] + "…"


@dataclass(frozen=True)
class Claim:
    claim: str
    check: str | None = None
    kind: str | None = None  # component | fact | library (qbank.bank.schema.KINDS)
    unprovable: str | None = None


@dataclass(frozen=True)
class Erratum:
    source: str
    says: str
    correct: str
    check: str | None = None
    kind: str | None = None
    unprovable: str | None = None


@dataclass(frozen=True)
class Entry:
    """One question, as the terminal shows it."""

    id: str
    topic: str
    difficulty: str
    tags: tuple[str, ...]
    question: str
    short: str
    detailed: str
    claims: tuple[Claim, ...]
    errata: tuple[Erratum, ...] = ()
    solution: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    path: Path | None = None
    title: str | None = None  # as written; `short_title` always has one

    @property
    def short_title(self) -> str:
        return self.title or default_title(self.question)

    @property
    def checks(self) -> list[str]:
        """Every check node id this question cites, claims first, then errata."""
        return [c.check for c in [*self.claims, *self.errata] if c.check]

    @property
    def sort_key(self) -> tuple:
        """Curriculum order: topics as listed, easy before hard, then by id."""
        return (list(TOPICS).index(self.topic), DIFFICULTIES.index(self.difficulty), self.id)


@dataclass
class Catalog:
    root: Path
    entries: list[Entry]  # in curriculum order
    warnings: list[str]  # files skipped, one line each

    def get(self, question_id: str) -> Entry | None:
        return next((e for e in self.entries if e.id == question_id), None)

    @property
    def tags(self) -> set[str]:
        return {t for e in self.entries for t in e.tags}


class NotAQuestion(ValueError):
    pass


def load_catalog(root: Path | None = None, parse_file: Callable[[Path], Entry] | None = None) -> Catalog:
    """The bank at `root`; `parse_file` (default `parse`) reads one file (the CLI passes one
    that remembers files it has read, qbank.cli.catalog_cache)."""
    root = root or find_root()
    entries: dict[str, Entry] = {}
    warnings: list[str] = []
    for path in sorted((root / "questions").glob("*/*.yaml")):
        shown = path.relative_to(root)
        try:
            entry = (parse_file or parse)(path)
        except (OSError, UnicodeDecodeError, NotAQuestion) as e:
            reason = _reason(e)
            warnings.append(f"skipped {shown}: {reason} (run `qbank validate` for details)")
            continue
        if entry.id in entries:
            warnings.append(f"skipped {shown}: duplicate id {entry.id!r} (run `qbank validate` for details)")
            continue
        entries[entry.id] = entry
    return Catalog(root, sorted(entries.values(), key=lambda e: e.sort_key), warnings)


def _reason(e: Exception) -> str:
    if isinstance(e, NotAQuestion):
        return str(e)
    return f"{type(e).__name__}: {e}"


# The fields of the question format (qbank.bank.schema.Question and Answer; a test keeps them in step).
FIELDS = ("id", "title", "topic", "difficulty", "tags", "question", "sources", "answer", "claims", "solution",
          "errata", "related")
ANSWER_FIELDS = ("short", "detailed")


def parse(path: Path) -> Entry:
    import yaml

    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as e:
        if e.problem_mark is None:
            raise NotAQuestion(f"{type(e).__name__}: {e}") from None
        raise NotAQuestion(f"invalid YAML at line {e.problem_mark.line + 1} ({e.problem})") from None
    except yaml.YAMLError as e:
        raise NotAQuestion(f"{type(e).__name__}: {e}") from None
    if not isinstance(data, dict):
        raise NotAQuestion("not a mapping of fields")
    _known(data, FIELDS, "")
    answer = _get(data, "answer", dict)
    _known(answer, ANSWER_FIELDS, "answer.")
    topic, difficulty = _get(data, "topic", str), _get(data, "difficulty", str)
    if topic not in TOPICS:
        raise NotAQuestion(f"unknown topic {topic!r}")
    if difficulty not in DIFFICULTIES:
        raise NotAQuestion(f"unknown difficulty {difficulty!r}")
    return Entry(
        id=_get(data, "id", str), topic=topic, difficulty=difficulty,
        tags=_strings(data, "tags"), question=_get(data, "question", str),
        short=_get(answer, "short", str), detailed=_get(answer, "detailed", str),
        claims=tuple(Claim(**_fields(c, Claim)) for c in _get(data, "claims", list)),
        errata=tuple(Erratum(**_fields(c, Erratum)) for c in data.get("errata") or []),
        solution=_strings(data, "solution"), sources=_strings(data, "sources"),
        related=_strings(data, "related"), path=path, title=_optional(data, "title"))


def _known(data: dict, fields: tuple[str, ...], where: str) -> None:
    """An unknown field is refused as `qbank validate` refuses it (with its 'did you mean')."""
    for key in data:
        if key not in fields:
            import difflib

            close = difflib.get_close_matches(str(key), fields, n=1, cutoff=0.6)
            raise NotAQuestion(f"`{where}{key}`: unknown field" + (f"; did you mean `{close[0]}`?" if close else
                                                                  " (not part of the question format)"))


def _get(data: dict, key: str, kind: type):
    value = data.get(key)
    if not isinstance(value, kind):
        raise NotAQuestion(f"`{key}` missing or not a {kind.__name__}")
    return value


def _optional(data: dict, key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise NotAQuestion(f"`{key}` is not a string")
    return value


def _strings(data: dict, key: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise NotAQuestion(f"`{key}` is not a list of strings")
    return tuple(value)


def _fields(data, cls) -> dict:
    names = cls.__dataclass_fields__
    if not isinstance(data, dict) or not all(k in names and isinstance(v, str) for k, v in data.items()):
        raise NotAQuestion(f"a `{cls.__name__.lower()}` entry does not fit the format")
    try:
        cls(**data)
    except TypeError:
        raise NotAQuestion(f"a `{cls.__name__.lower()}` entry misses a field") from None
    return data
