"""Seed coverage: every seed item of the canonical questions the bank answers is cited."""

from pathlib import Path

from qbank.bank.loader import load_bank
from qbank.bank.validate import seed_index

ROOT = Path(__file__).resolve().parents[1]

# The canonical questions of the first vertical slice (issue: foundation).
ANSWERED = ["C09", "C12", "C13", "C17", "C19", "C20", "C21", "C27", "C28", "C30"]


def test_every_seed_item_of_the_answered_canonical_questions_is_cited():
    cited = {item for q in load_bank(ROOT).questions for item in q.sources}
    index = seed_index()
    missing = {c: [i for i, e in index.items.items() if c in e["canonical"] and i not in cited] for c in ANSWERED}
    assert not any(missing.values()), {c: m for c, m in missing.items() if m}


def test_the_seed_index_has_all_89_items_and_52_canonical_questions():
    index = seed_index()
    assert len(index.items) == 89 and len(index.canonical) == 52
    assert all(c in index.canonical for e in index.items.values() for c in e["canonical"])
