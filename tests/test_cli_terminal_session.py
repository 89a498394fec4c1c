"""Real terminal sessions (pexpect, a pseudo-terminal), as a learner types them: single keys
that act at once, undo, quit at the answer, Ctrl-C, and the database checked afterwards."""

import json
import os
import re
import shutil
import signal
import sqlite3
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from qbank.cli.session import TRAILING_ENTER
from tests.cli_bank import make_bank

pexpect = pytest.importorskip("pexpect")

QBANK = shutil.which("qbank", path=str(Path(sys.executable).parent)) or "qbank"
ROOT = Path(__file__).resolve().parents[1]
QUESTION = r"show the answer"  # the question's key prompt
ANSWER = r"detail[^›]*›"  # the answer's key prompt (after its ratings; the question's has no "detail")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def words(*parts: str) -> str:
    """A pattern for these words in order, whatever styling (ANSI codes) and spacing lie between."""
    return r"(?:\x1b\[[0-9;?]*[A-Za-z]|\s)+".join(re.escape(p) for p in parts)


def as_from_a_shell_prompt():
    """Ctrl-C and Ctrl-\\ act as in a terminal: a test run from a script's background job (`make test &`)
    inherits them ignored, as the shell's rule for background jobs says, and so would the quiz (a
    process started with SIGINT ignored keeps ignoring it: Python installs no KeyboardInterrupt)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def spawn(tmp_path, *args):
    bank = make_bank(tmp_path / "bank")
    db = tmp_path / "progress.sqlite3"
    env = {**os.environ, "QBANK_DB": str(db), "QBANK_CACHE": str(tmp_path / "cache"), "TERM": "xterm-256color",
           "COLUMNS": "120", "LINES": "40",
           "PYTHONPATH": str(ROOT)}
    child = pexpect.spawn(QBANK, ["quiz", *args], cwd=str(bank), env=env, encoding="utf-8", timeout=30,
                          dimensions=(40, 120), preexec_fn=as_from_a_shell_prompt)
    return child, db


def rows(db):
    conn = sqlite3.connect(db)
    try:
        reviews = conn.execute("SELECT id, question_id, rating, reviewed_at FROM reviews ORDER BY id").fetchall()
        cards = {q: json.loads(c) for q, c in conn.execute("SELECT question_id, card FROM cards")}
    finally:
        conn.close()
    return reviews, cards


def finish(child):
    child.expect(pexpect.EOF)
    child.close()
    return ANSI.sub("", child.before or "")


@pytest.mark.e2e
def test_single_keys_grade_at_once_undo_brings_a_card_back_and_q_quits_at_the_answer(tmp_path):
    child, db = spawn(tmp_path, "--limit", "3")
    try:
        child.expect(r"1/3 ")
        child.expect(QUESTION)
        child.send(" ")  # Space reveals, no Enter
        child.expect("A weighted average of the values")
        child.expect(words("1", "again", "1m"))  # each rating labelled with its interval
        child.expect(words("3", "good", "10m"))
        child.expect(ANSWER)
        child.send("4")  # acts at once
        child.expect("Next review in")
        child.expect(r"2/3 ")
        child.expect(QUESTION)
        time.sleep(TRAILING_ENTER + 0.2)  # reading the question
        child.send("\r")  # Enter reveals too
        child.expect("To keep the score variance at one")
        child.expect(ANSWER)
        child.send("3\r")  # "3⏎", the old habit: the Enter must not reveal the next answer
        child.expect(r"3/4 ")  # good on a new card: 10 minutes, so it comes back (4 cards now)
        child.expect(QUESTION)
        child.send("u")  # undo at the next question: beta-hard's "good" goes, beta-hard is asked again
        child.expect("Undone")
        assert "lower-triangular" not in child.before  # that Enter did not reveal gamma-masks' answer
        child.expect(r"2/3 ")
        child.expect(QUESTION)
        child.send(" ")
        child.expect(ANSWER)
        child.send("2")  # hard this time
        child.expect(r"3/4 ")
        child.expect(QUESTION)
        child.send(" ")
        child.expect("A lower-triangular boolean matrix")
        child.expect(ANSWER)
        child.send("q")  # quit at the answer: nothing saved for this card
        out = finish(child)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, out
    assert "2 reviews saved (1 easy, 1 hard; 1 undone)" in " ".join(out.split()), out
    reviews, cards = rows(db)
    assert [(q, r) for _, q, r, _ in reviews] == [("alpha-easy", 4), ("beta-hard", 2)]
    assert reviews[1][0] == 3  # the undone review (id 2) was deleted, not rewritten
    assert set(cards) == {"alpha-easy", "beta-hard"}  # gamma-masks, quit at its answer, has no card
    hard = cards["beta-hard"]
    step = datetime.fromisoformat(hard["due"]) - datetime.fromisoformat(hard["last_review"])
    assert timedelta(minutes=5) <= step <= timedelta(minutes=7)  # hard's 6 minutes, not good's 10


@pytest.mark.e2e
def test_type_an_answer_see_the_detail_and_interrupt_with_ctrl_c_keeps_the_grades(tmp_path):
    child, db = spawn(tmp_path, "--limit", "3")
    try:
        child.expect(r"1/3 ")
        child.expect(QUESTION)
        child.send("t")  # type an answer first
        child.expect("Your answer")
        child.sendline("a weighted average of the values")
        child.expect("A weighted average of the values")  # the short answer
        child.expect(ANSWER)
        child.send("d")  # the detail, math readable
        child.expect("softmax")
        child.expect(ANSWER)
        child.send("3")
        child.expect(r"2/4 ")
        child.expect(QUESTION)
        child.send("s")  # skip, and it says so
        child.expect("Skipped")
        child.expect(r"3/4 ")
        child.expect(QUESTION)
        child.send(" ")
        child.expect(ANSWER)
        child.send("4")
        child.expect(r"4/4 ")  # alpha-easy comes back (graded good: 10 minutes)
        child.expect(QUESTION)
        child.expect("quit ›")  # the prompt is up: the quiz waits for a key
        child.sendintr()  # Ctrl-C while the card waits
        child.expect(pexpect.EOF)
        child.close()
        out = ANSI.sub("", child.before or "")
    finally:
        child.close(force=True)
    assert child.exitstatus == 130, out
    assert "Traceback" not in out
    assert "Interrupted. 2 reviews saved (1 good, 1 easy; 1 skipped)" in " ".join(out.split()), out
    reviews, cards = rows(db)
    assert [(q, r) for _, q, r, _ in reviews] == [("alpha-easy", 3), ("gamma-masks", 4)]
    for _, question, _, reviewed_at in reviews:
        card = cards[question]
        assert datetime.fromisoformat(card["last_review"]) == datetime.fromisoformat(reviewed_at)
        assert datetime.fromisoformat(card["due"]) > datetime.fromisoformat(reviewed_at)  # the schedule advanced
    assert cards["gamma-masks"]["stability"] > cards["alpha-easy"]["stability"] > 0


@pytest.mark.e2e
def test_the_terminal_is_left_as_it_was(tmp_path):
    """Single keys put the terminal in cbreak mode; whatever ends the session gives it back."""
    child, db = spawn(tmp_path, "--limit", "1")
    try:
        child.expect(QUESTION)
        child.send("q")
        finish(child)
    finally:
        child.close(force=True)
    script = ("import signal, subprocess, sys, termios\n"
              "before = termios.tcgetattr(0)\n"
              "signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the quiz only\n"
              "subprocess.run([sys.argv[1], 'quiz', '--limit', '1'],\n"
              "               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))\n"
              "print('SAME' if termios.tcgetattr(0) == before else 'CHANGED')\n")
    env = {**os.environ, "QBANK_DB": str(db), "QBANK_CACHE": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    outer = pexpect.spawn(sys.executable, ["-c", script, QBANK], cwd=str(tmp_path / "bank"), env=env,
                          encoding="utf-8", timeout=30)
    try:
        outer.expect(QUESTION)
        outer.send(" ")
        outer.expect(ANSWER)
        outer.sendintr()
        outer.expect(r"SAME|CHANGED")
        assert outer.after == "SAME"
    finally:
        outer.close(force=True)
