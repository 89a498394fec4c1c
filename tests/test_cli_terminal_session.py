"""A real terminal session (pexpect, a pseudo-terminal): answer two cards, press Ctrl-C on
the third, and find both reviews in the database with their schedule advanced."""

import json
import os
import shutil
import sqlite3
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.cli_bank import make_bank

pexpect = pytest.importorskip("pexpect")

QBANK = shutil.which("qbank", path=str(Path(sys.executable).parent)) or "qbank"
PROMPT = r"press Enter to see the answer"
CHOICES = r"quit\S*\r?\n"  # the grade prompt's last word, before its "> "


@pytest.mark.e2e
def test_answer_two_cards_interrupt_the_third_and_both_reviews_are_saved(tmp_path):
    bank = make_bank(tmp_path / "bank")
    db = tmp_path / "progress.sqlite3"
    env = {**os.environ, "QBANK_DB": str(db), "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "40"}
    child = pexpect.spawn(QBANK, ["quiz", "--limit", "3"], cwd=str(bank), env=env, encoding="utf-8",
                          timeout=30, dimensions=(40, 100))
    try:
        child.expect(r"1/3 ")
        child.expect(PROMPT)
        child.sendline("a weighted average of the values")  # the learner types an answer
        child.expect("A weighted average of the values")  # the short answer is revealed
        child.expect(CHOICES)
        child.sendline("d")  # the detail, math readable
        child.expect("softmax")
        child.expect(CHOICES)
        child.sendline("3")
        child.expect(r"Saved\S*: good")
        child.expect(r"2/3 ")
        child.expect(PROMPT)
        child.sendline("")
        child.expect(CHOICES)
        child.sendline("easy")
        child.expect(r"Saved\S*: easy")
        child.expect(r"3/3 ")
        child.expect(PROMPT)
        child.sendintr()  # Ctrl-C while the third question waits for an answer
        child.expect(r"Interrupted: the 2 reviews given in this session are saved")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 130, child.before
    assert "Traceback" not in (child.before or "")

    conn = sqlite3.connect(db)
    reviews = conn.execute("SELECT question_id, rating, reviewed_at FROM reviews ORDER BY id").fetchall()
    cards = {q: json.loads(c) for q, c in conn.execute("SELECT question_id, card FROM cards")}
    conn.close()
    assert [(q, r) for q, r, _ in reviews] == [("alpha-easy", 3), ("beta-hard", 4)]
    assert set(cards) == {"alpha-easy", "beta-hard"}  # the interrupted third card has none
    for question, _, reviewed_at in reviews:
        card = cards[question]
        reviewed, due = datetime.fromisoformat(reviewed_at), datetime.fromisoformat(card["due"])
        assert datetime.fromisoformat(card["last_review"]) == reviewed
        assert due > reviewed  # the schedule advanced
    good, easy = cards["alpha-easy"], cards["beta-hard"]
    assert timedelta(minutes=5) < datetime.fromisoformat(good["due"]) - datetime.fromisoformat(good["last_review"])
    assert datetime.fromisoformat(easy["due"]) - datetime.fromisoformat(easy["last_review"]) >= timedelta(days=1)
    assert easy["stability"] > good["stability"] > 0
