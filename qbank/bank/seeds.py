"""The seed index: the five source documents, their items, and what each item asks.

Questions cite seed items in `sources:` and `errata:` (`003-34`); readers see them as the
document's title and the item's place and subject (`SeedIndex.describe`). The data is
`seed_index.yaml` beside this module. Kept apart from `qbank.bank.validate` (which re-exports
it) so that the quiz and `qbank show` can name sources without importing the validator, and
PyYAML is imported only when the file is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

SEED_INDEX = Path(__file__).with_name("seed_index.yaml")


@dataclass(frozen=True)
class SeedIndex:
    canonical: dict[str, str]  # C01 -> the canonical question
    items: dict[str, dict]  # 000-1 -> {document, line, about, canonical: [C18]}
    documents: dict[str, dict] = field(default_factory=dict)  # 000 -> {file, title, kind}

    @classmethod
    def from_data(cls, data: dict) -> SeedIndex:
        """From the mapping `seed_index.yaml` holds."""
        return cls(data["canonical"], data["items"], data.get("documents") or {})

    def document_title(self, doc: str) -> str:
        return (self.documents.get(doc) or {}).get("title") or f"Document {doc}"

    def describe(self, item: str) -> str:
        """What a reader sees for a seed item: its document's title and what the item is about
        ("Complete list of Transformer interview questions, Q34: the attention function ...")."""
        meta = self.items.get(item)
        if meta is None:
            return f"{item} (not in the seed index)"
        where = self.document_title(meta["document"])
        label = item_label(item)
        about = meta.get("about")
        return f"{where}, {label}: {about}" if about else f"{where}, {label}"

    def place(self, item: str) -> str:
        """Where an item is, without what it asks: 'Complete list of ... questions, Q34'."""
        meta = self.items.get(item)
        if meta is None:
            return f"{item} (not in the seed index)"
        return f"{self.document_title(meta['document'])}, {item_label(item)}"


def item_label(item: str) -> str:
    """Where in its document an item is: '003-34' -> 'Q34'; '001-how-3' -> 'overview step 3';
    '004-topic-moe' -> 'header'; '002-multi-head' -> 'section'."""
    _, _, rest = item.partition("-")
    if rest.isdigit():
        return f"Q{rest}"
    if rest.startswith("how-"):
        return f"overview step {rest.removeprefix('how-')}"
    return "header" if rest.startswith("topic-") else "section"


def read_seed_data(path: Path = SEED_INDEX) -> dict:
    """The mapping in seed_index.yaml (libyaml's safe loader where there is one)."""
    import yaml

    return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@cache
def seed_index() -> SeedIndex:
    return SeedIndex.from_data(read_seed_data())
