"""A small, fixed question bank for the CLI tests, so they do not depend on the real bank,
which other people edit while the tests run."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

QUESTIONS = {
    ("attention", "alpha-easy"): dict(difficulty="easy", tags="[softmax, shapes]",
                                      question="What does attention compute for $T$ queries?",
                                      short="A weighted average of the values: softmax(QKᵀ/√d_k) V.",
                                      detailed=r"""
                                        The output is

                                        $$
                                        \mathrm{softmax}\left(\frac{QK^\top}{\sqrt{d_k}}\right)V
                                        $$

                                        with `weights.sum(-1) == 1` and shape $[T, d_v]$.
                                        """),
    ("attention", "beta-hard"): dict(difficulty="hard", tags="[scaling]",
                                     question="Why divide by $\\sqrt{d_k}$?",
                                     short="To keep the score variance at one.",
                                     detailed="Because $\\mathrm{Var}(q \\cdot k) = d_k$."),
    ("masking", "gamma-masks"): dict(difficulty="medium", tags="[masks, softmax]",
                                     question="How is a causal mask built?",
                                     short="A lower-triangular boolean matrix, True = may attend.",
                                     detailed="Entry $[t, s]$ is True iff $s \\le t$."),
    ("normalization", "delta-norm"): dict(difficulty="easy", tags="[layernorm]",
                                          question="What does LayerNorm normalise over?",
                                          short="The features of each position.",
                                          detailed="Over the last dimension $D$."),
}

TEMPLATE = """\
id: {id}
topic: {topic}
difficulty: {difficulty}
tags: {tags}
question: '{question}'
sources: [001-how-3]
answer:
  short: '{short}'
  detailed: |
{detailed}
claims:
  - claim: The first claim.
    check: checks/test_demo.py::test_{under}_one
  - claim: A claim no code can settle.
    unprovable: It needs a trained model.
errata:
  - source: 004-5
    says: Something wrong.
    correct: Something right.
    check: checks/test_demo.py::test_{under}_two
"""


ROOT = Path(__file__).resolve().parents[1]


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a `qbank` subprocess: its own progress database and cache folder."""
    return {**os.environ, "QBANK_DB": str(tmp_path / "progress.sqlite3"), "QBANK_CACHE": str(tmp_path / "cache"),
            "PYTHONPATH": str(ROOT), **extra}


def imported_modules(args, cwd, env, stdin=""):
    """(the finished `python -X importtime -m qbank ARGS`, the names of the modules it imported)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "qbank", *args], cwd=cwd, env=env,
                          input=stdin, capture_output=True, text=True, timeout=60)
    modules = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    return proc, modules


def question_yaml(topic: str, qid: str, **fields) -> str:
    detailed = textwrap.indent(textwrap.dedent(fields.pop("detailed")).strip("\n"), "    ")
    return TEMPLATE.format(id=qid, topic=topic, under=qid.replace("-", "_"), detailed=detailed, **fields)


def make_bank(root: Path) -> Path:
    """questions/<topic>/<id>.yaml for QUESTIONS, and an empty checks/ folder."""
    for (topic, qid), fields in QUESTIONS.items():
        folder = root / "questions" / topic
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{qid}.yaml").write_text(question_yaml(topic, qid, **dict(fields)), encoding="utf-8")
    (root / "checks").mkdir(exist_ok=True)
    return root


def ids_in_curriculum_order() -> list[str]:
    return ["alpha-easy", "beta-hard", "gamma-masks", "delta-norm"]


def reviews(db: Path) -> list[tuple[str, int, str]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT question_id, rating, reviewed_at FROM reviews ORDER BY id").fetchall()
    finally:
        conn.close()


def cards(db: Path) -> dict[str, tuple[str, str]]:
    """question id -> (card JSON, due)."""
    conn = sqlite3.connect(db)
    try:
        return {q: (c, d) for q, c, d in conn.execute("SELECT question_id, card, due FROM cards")}
    finally:
        conn.close()


@pytest.fixture
def bank(tmp_path, monkeypatch):
    root = make_bank(tmp_path / "bank")
    monkeypatch.chdir(root)
    monkeypatch.setenv("QBANK_DB", str(tmp_path / "progress.sqlite3"))
    monkeypatch.setenv("QBANK_CACHE", str(tmp_path / "cache"))  # never the user's own cache folder
    return root


@pytest.fixture
def db(bank, tmp_path):
    return tmp_path / "progress.sqlite3"
