"""The question format: one YAML file per question, `questions/<topic>/<id>.yaml`.

The pydantic models below are the single definition of that format. They are strict:
an unknown field, a missing field or a value of the wrong type is an error (YAML's
`no` -> False surprises included), never silently coerced.

    id: scaled-dot-product-attention      # == the file name without .yaml
    title: Scaled dot-product attention   # optional: a short title for menus and lists, plain
                                          # text, <= 60 characters (default: from the question)
    topic: attention                      # == the folder name; one of TOPICS
    difficulty: easy | medium | hard
    tags: [softmax, shapes]
    question: Write scaled dot-product attention and say what each step computes.
    sources: [001-how-3, 003-11]          # seed item ids it covers (qbank/bank/seed_index.yaml)
    answer:
      short: what you would say in 30 seconds
      detailed: Markdown with $LaTeX$
    claims:                               # every sentence the answer stakes
      - claim: Each row of weights is a probability distribution over the keys.
        check: checks/test_attention.py::test_each_row_of_weights_is_a_distribution
        kind: component                   # component | fact | library (see KINDS)
      - claim: Heads learn syntax.
        unprovable: why no code here can settle it
    solution:                             # reference code the answer relies on
      - solutions.attention:scaled_dot_product_attention
    errata:                               # where a source item is wrong
      - source: 000-5
        says: what the item says, paraphrased
        correct: what is right
        check: checks/test_masking.py::test_...
        kind: fact
    related: [other-question-id]
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from qbank.bank.catalog import TITLE_MAX, default_title
from qbank.bank.topics import DIFFICULTIES, TOPICS

ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
CHECK_PATTERN = r"^checks/test_[a-z0-9_]+\.py::test_[A-Za-z0-9_]+$"
SOLUTION_PATTERN = r"^solutions\.[a-z0-9_]+:[A-Za-z_][A-Za-z0-9_]*$"
SOURCE_PATTERN = r"^\d{3}-[a-z0-9-]+$"

# What a check proves, which every checked claim and erratum states (`qbank validate` reads the
# check's syntax tree and holds it to it):
KINDS = {
    "component": "grades the implementation under test: the check calls a contract name on `impl`",
    "fact": "a fact of mathematics or numerics, derived by code (tensors, a FLOP counter, a meta-device "
            "model); the check does not depend on the implementation under test",
    "library": "how a library behaves (PyTorch, Hugging Face); the check exercises that library",
}
Kind = Literal[tuple(KINDS)]  # type: ignore[valid-type]
Topic = Literal[tuple(TOPICS)]  # type: ignore[valid-type]  # the ids of qbank/bank/topics.py
Difficulty = Literal[DIFFICULTIES]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


SourceId = Annotated[str, Field(pattern=SOURCE_PATTERN)]
QuestionId = Annotated[str, Field(pattern=ID_PATTERN)]
Tag = Annotated[str, Field(pattern=ID_PATTERN)]
SolutionRef = Annotated[str, Field(pattern=SOLUTION_PATTERN)]


SHORT_ANSWER_WORDS = 80  # about 30 seconds spoken


class Answer(_Strict):
    short: str = Field(min_length=1, description=f"What you would say in 30 seconds: at most {SHORT_ANSWER_WORDS} words.")
    detailed: str = Field(min_length=1, description="Markdown with $LaTeX$.")

    @field_validator("short")
    @classmethod
    def _speakable_in_30_seconds(cls, text: str) -> str:
        if (n := len(text.split())) > SHORT_ANSWER_WORDS:
            raise ValueError(f"{n} words; a short answer is what you would say in 30 seconds, at most "
                             f"{SHORT_ANSWER_WORDS} (move the rest to `detailed`)")
        return text


def _kind_goes_with_check(entry: Claim | Erratum) -> None:
    if entry.check and entry.kind is None:
        raise ValueError("a checked entry needs `kind`: " + "; ".join(f"{k} ({v})" for k, v in KINDS.items()))
    if entry.unprovable and entry.kind is not None:
        raise ValueError("`kind` says what a check proves: an `unprovable` entry has none")


class Claim(_Strict):
    claim: str = Field(min_length=1, description="One sentence the answer stakes.")
    check: str | None = Field(default=None, pattern=CHECK_PATTERN)
    kind: Kind | None = Field(default=None, description="What the check proves: " + ", ".join(KINDS))
    unprovable: str | None = Field(default=None, min_length=1, description="Why no code can prove it.")

    @model_validator(mode="after")
    def _check_xor_unprovable(self) -> Claim:
        if (self.check is None) == (self.unprovable is None):
            raise ValueError("a claim needs exactly one of `check` (the pytest node id that proves it) "
                             "or `unprovable` (why no code can prove it)")
        _kind_goes_with_check(self)
        return self


class Erratum(_Strict):
    source: str = Field(pattern=SOURCE_PATTERN, description="The seed item that is wrong.")
    says: str = Field(min_length=1, description="What it says, paraphrased.")
    correct: str = Field(min_length=1, description="What is right.")
    check: str | None = Field(default=None, pattern=CHECK_PATTERN)
    kind: Kind | None = Field(default=None, description="What the check proves: " + ", ".join(KINDS))
    unprovable: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _check_xor_unprovable(self) -> Erratum:
        if (self.check is None) == (self.unprovable is None):
            raise ValueError("an erratum needs exactly one of `check` (the check that demonstrates it) "
                             "or `unprovable` (why no code can demonstrate it)")
        _kind_goes_with_check(self)
        return self


class Question(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    title: str | None = Field(default=None, min_length=1, max_length=TITLE_MAX,
                              description="A short title for menus and lists; plain text.")
    topic: Topic
    difficulty: Difficulty
    tags: list[Tag] = Field(min_length=1)
    question: str = Field(min_length=1)
    sources: list[SourceId] = Field(min_length=1)
    answer: Answer
    claims: list[Claim] = Field(min_length=1)
    solution: list[SolutionRef] = Field(default_factory=list)
    errata: list[Erratum] = Field(default_factory=list)
    related: list[QuestionId] = Field(default_factory=list)

    @field_validator("title")
    @classmethod
    def _plain_title(cls, title: str | None) -> str | None:
        if title is not None and (bad := sorted(set(title) & set("$`"))):
            raise ValueError(f"a title is plain text (it is shown where no Markdown or math renders): "
                             f"no {' or '.join(bad)} (write math as it reads, e.g. √d_k)")
        return title

    @property
    def short_title(self) -> str:
        """`title`, or one derived from the question (its first sentence, shortened)."""
        return self.title or default_title(self.question)

    @property
    def checks(self) -> list[str]:
        """Every check node id this question cites, claims first, then errata."""
        return [c.check for c in [*self.claims, *self.errata] if c.check]

