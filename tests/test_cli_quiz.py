"""`qbank quiz`: which questions, in what order, and a session driven through CliRunner
with typed input: answers revealed, detail on request, grades saved one by one."""

import json
import random
import re
from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from qbank.progress import srs
from qbank.bank.catalog import load_catalog
from qbank.cli.main import app
from qbank.cli.quiz import FilterError, Filters, next_due, order, parse_rating, select, shuffle
from qbank.progress.store import Store
from tests.cli_bank import bank, db  # noqa: F401 - fixtures shared by the CLI tests
from tests.cli_bank import cards, ids_in_curriculum_order, reviews

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)



def quiz(*args, input=""):
    return CliRunner().invoke(app, ["quiz", *args], input=input)


# -- selection and order (pure) ------------------------------------------------------------


def test_new_questions_come_in_curriculum_order(bank):
    entries = load_catalog(bank).entries
    assert [s.entry.id for s in order(entries, {}, NOW)] == ids_in_curriculum_order()
    assert {s.kind for s in order(entries, {}, NOW)} == {"new"}


def test_due_questions_come_first_most_overdue_first_then_new_and_not_due_ones_are_left_out(bank):
    entries = load_catalog(bank).entries
    due = {"delta-norm": NOW - timedelta(days=1), "gamma-masks": NOW - timedelta(days=3),
           "alpha-easy": NOW + timedelta(days=2)}
    slots = order(entries, due, NOW)
    assert [(s.entry.id, s.kind) for s in slots] == [
        ("gamma-masks", "due"), ("delta-norm", "due"), ("beta-hard", "new")]
    with_ahead = order(entries, due, NOW, ahead=True)
    assert [s.entry.id for s in with_ahead][-1] == "alpha-easy" and with_ahead[-1].kind == "ahead"
    assert len(order(entries, due, NOW, limit=2)) == 2
    assert next_due(entries, due, NOW) == NOW + timedelta(days=2)


def test_random_is_a_plain_shuffle_of_every_selected_question(bank):
    entries = load_catalog(bank).entries
    due = {"alpha-easy": NOW + timedelta(days=2)}
    a = [s.entry.id for s in shuffle(entries, due, NOW, rng=random.Random(1))]
    b = [s.entry.id for s in shuffle(entries, due, NOW, rng=random.Random(1))]
    assert a == b and sorted(a) == sorted(ids_in_curriculum_order())
    orders = {tuple(s.entry.id for s in shuffle(entries, due, NOW, rng=random.Random(i))) for i in range(20)}
    assert len(orders) > 5


def test_filters_combine_any_within_a_filter_and_all_across(bank):
    entries = load_catalog(bank).entries
    ids = lambda f: [e.id for e in select(entries, f)]  # noqa: E731
    assert ids(Filters(topics=("masking", "normalization"))) == ["gamma-masks", "delta-norm"]
    assert ids(Filters(tags=("softmax",))) == ["alpha-easy", "gamma-masks"]
    assert ids(Filters(topics=("attention",), difficulties=("hard",))) == ["beta-hard"]
    with pytest.raises(FilterError, match="unknown topic 'atention'; choose from: attention, masking"):
        Filters(topics=("atention",)).check(["softmax"])
    with pytest.raises(FilterError, match="unknown tag 'nope'"):
        Filters(tags=("nope",)).check(["softmax"])


@pytest.mark.parametrize("text, rating", [("1", 1), ("again", 1), ("h", 2), (" 3 ", 3), ("Good", 3),
                                          ("e", 4), ("5", None), ("", None)])
def test_ratings_are_read_as_numbers_letters_or_words(text, rating):
    assert parse_rating(text) == rating


# -- sessions ------------------------------------------------------------------------------


def test_a_session_shows_question_answer_and_detail_and_saves_each_grade(db):
    # card 1: type an answer, ask for the detail, grade good; card 2: grade easy; then the
    # input ends while card 1 comes back (still learning): a quiet end
    result = quiz("--limit", "2", input="softmax of scores\nd\n3\n\n4\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "What does attention compute for T queries?" in out  # $T$ rendered
    assert "softmax of scores" in out.split("Your answer")[1]  # the typed answer, shown beside the answer
    assert "A weighted average of the values" in out  # the short answer
    assert "softmax(QKᵀ/√dₖ)V" in out  # the detail, its display math made readable
    assert "weights.sum(-1) == 1" in out  # inline code kept
    assert "Transformer internals and attention: LLM interview questions, Q5 says" in out  # 004-5, by title
    assert "Why divide by √dₖ?" in out  # second card, curriculum order
    assert "Saved: good. Next review in 10 minutes (it comes back later in this session)." in out
    assert "Saved: easy." in out
    assert "2 reviews saved (1 good, 1 easy)" in out
    assert [(q, r) for q, r, _ in reviews(db)] == [("alpha-easy", 3), ("beta-hard", 4)]
    assert set(cards(db)) == {"alpha-easy", "beta-hard"}


def test_each_rating_is_labelled_with_the_interval_the_scheduler_gives_it(db):
    # a new card under FSRS-6's defaults: again 1 minute, hard 6, good 10 (the learning steps)
    # and easy a few days; the label of the key pressed is the interval then saved
    result = quiz("--limit", "1", input="\n4\n")
    labels = re.search(r"1 again (\S+) · 2 hard (\S+) · 3 good (\S+) · 4 easy (\S+)", result.stdout)
    assert labels, result.stdout
    again, hard, good, easy = labels.groups()
    assert (again, hard, good) == ("1m", "6m", "10m")
    card = json.loads(cards(db)["alpha-easy"][0])
    saved = datetime.fromisoformat(card["due"]) - datetime.fromisoformat(card["last_review"])
    assert srs.short_interval(saved) == easy and saved >= timedelta(days=1)


def test_a_card_still_learning_comes_back_in_the_same_session_labelled_by_its_grade(db):
    # hard (6 minutes) and again (1 minute) both bring the card back, each labelled by what was given
    result = quiz("--limit", "1", input="\n2\n\n1\n\n3\n\n3\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "1/1 · new" in out
    assert "2/2 · back again (learning, graded hard)" in out  # the review's finding 13: it said "again"
    assert "3/3 · back again (learning, graded again)" in out
    assert [r for _, r, _ in reviews(db)] == [2, 1, 3, 3]


def test_the_header_counts_the_cards_left_including_those_that_come_back(db):
    result = quiz("--limit", "2", input="\n1\n\n4\n\n4\n")
    headers = re.findall(r"─ (\d+/\d+) · ", result.stdout)
    assert headers == ["1/2", "2/3", "3/3"], headers  # card 1 graded again: it comes back, 3 cards in all


def test_due_cards_come_before_new_ones(db):
    with Store.open(db) as store:
        srs.review(store, "delta-norm", 3, srs.now() - timedelta(days=40))  # due long ago
    result = quiz("--limit", "1", input="\n2\n")
    assert "1/1 · due" in result.stdout and "Normalisation: LayerNorm and BatchNorm · easy · delta-norm" in result.stdout
    assert [(q, r) for q, r, _ in reviews(db)][-1] == ("delta-norm", 2)


def test_filters_select_the_questions_asked(db):
    result = quiz("--topic", "masking", input="\n4\n")
    assert "How is a causal mask built?" in result.stdout
    assert "What does attention compute" not in result.stdout
    assert [q for q, _, _ in reviews(db)] == ["gamma-masks"]


def test_random_order_is_a_shuffle(db):
    expected = [s.entry.id for s in shuffle(load_catalog().entries, {}, NOW, rng=random.Random(3))]
    assert expected != ids_in_curriculum_order()
    result = quiz("--random", "--seed", "3", input="s\n" * 4)
    assert result.exit_code == 0
    shown = re.findall(r"· ([a-z-]+) ─╯", result.stdout)  # each card's id, in its frame
    assert shown == expected


def test_quit_ends_the_session_keeping_the_grades_given(db):
    result = quiz(input="\n3\n\nq\n")
    assert result.exit_code == 0
    assert "1 review saved (1 good)" in result.stdout
    assert len(reviews(db)) == 1


@pytest.mark.parametrize("word", ["q", "quit", "Q"])
def test_q_at_the_question_quits_instead_of_being_taken_as_the_answer(db, word):
    result = quiz(input=f"{word}\n")
    assert result.exit_code == 0
    assert "A weighted average" not in result.stdout  # the answer was not revealed (finding 11)
    assert "No review given" in result.stdout and reviews(db) == []


def test_s_at_the_question_skips_it_and_says_so(db):
    result = quiz("--limit", "2", input="s\n\n3\n")
    out = result.stdout
    assert "A weighted average" not in out  # the first answer was never shown
    assert "Skipped: nothing saved; “What does attention compute for T queries?” stays new." in out
    assert [q for q, _, _ in reviews(db)] == ["beta-hard"]
    assert "1 review saved (1 good; 1 skipped)" in out


def test_undo_takes_the_last_grade_back_and_asks_the_question_again(db):
    # grade card 1 easy, then at card 2's question undo: card 1 comes back, is graded hard this time
    result = quiz("--limit", "2", input="\n4\nu\n\n2\n\n3\nq\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Undone: your easy for “What does attention compute for T queries?”" in out
    shown = re.findall(r"· ([a-z-]+) ─╯", out)
    assert shown[:4] == ["alpha-easy", "beta-hard", "alpha-easy", "beta-hard"], shown
    assert [(q, r) for q, r, _ in reviews(db)] == [("alpha-easy", 2), ("beta-hard", 3)]
    assert "2 reviews saved (1 hard, 1 good; 1 undone)" in out


def test_undo_at_the_answer_and_twice_in_a_row_goes_further_back(db):
    result = quiz("--limit", "3", input="\n4\n\n4\n\nu\nu\nq\n")
    out = result.stdout
    assert out.count("Undone:") == 2
    assert reviews(db) == [] and cards(db) == {}  # both grades gone, the cards as before: none
    # undo at card 3's answer brings card 2 back; undo at card 2's question brings card 1 back
    assert re.findall(r"· ([a-z-]+) ─╯", out) == ["alpha-easy", "beta-hard", "gamma-masks", "beta-hard",
                                                   "alpha-easy"]


def test_undoing_a_card_that_came_back_asks_it_once(db):
    # again (it comes back at once, the queue being empty), then undo at its return: asked as new, once
    result = quiz("--limit", "1", input="\n1\nu\n\n4\n")
    out = result.stdout
    headers = [h.strip() for h in re.findall(r"─ (\d+/\d+ · [a-z ]+)", out)]
    assert headers == ["1/1 · new", "2/2 · back again", "1/1 · new"], out
    assert [r for _, r, _ in reviews(db)] == [4]


def test_undo_with_nothing_to_undo_says_so_and_stays_on_the_card(db):
    result = quiz("--limit", "1", input="u\n\n3\n")
    assert "Nothing to undo" in result.stdout
    assert [r for _, r, _ in reviews(db)] == [3]


def test_an_unknown_reply_is_asked_again(db):
    result = quiz("--limit", "1", input="\nmaybe\n4\n")
    assert "Grade it: type 1-4 (again, hard, good, easy)" in result.stdout
    assert [r for _, r, _ in reviews(db)] == [4]


def test_skipping_records_nothing(db):
    result = quiz("--limit", "1", input="\ns\n")
    assert result.exit_code == 0 and reviews(db) == []
    assert "No review given (1 skipped): nothing was saved." in result.stdout


def test_nothing_due_says_when_the_next_review_is(db):
    with Store.open(db) as store:
        for qid in ids_in_curriculum_order():
            srs.review(store, qid, 4)  # easy: due in days
    result = quiz(input="")
    assert result.exit_code == 0
    assert "Nothing to review now" in result.stdout and "due in" in result.stdout
    ahead = quiz("--all", "--limit", "1", input="\n3\n")
    assert "not due yet" in ahead.stdout


def test_correcting_an_answer_keeps_the_progress(bank, db):
    quiz("--limit", "1", input="\n4\n")
    path = bank / "questions" / "attention" / "alpha-easy.yaml"
    path.write_text(path.read_text().replace("A weighted average", "A convex combination"))
    result = CliRunner().invoke(app, ["show", "alpha-easy"])
    assert "A convex combination" in result.stdout and "1 review, due in" in result.stdout
    listed = CliRunner().invoke(app, ["list", "--topic", "attention"])
    assert "due in" in listed.stdout


@pytest.mark.parametrize("args, message", [
    (["--topic", "atention"], "unknown topic 'atention'"),
    (["--difficulty", "tricky"], "unknown difficulty 'tricky'"),
    (["--tag", "nope"], "unknown tag 'nope'"),
])
def test_an_unknown_filter_is_an_error_without_traceback(db, args, message):
    result = quiz(*args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output
    assert not db.exists()


def test_an_unreadable_database_is_an_error_and_left_untouched(db):
    db.write_text("not a database")
    result = quiz(input="\n3\n")
    assert result.exit_code == 2
    assert "not a qbank progress database" in result.stderr and "Traceback" not in result.output
    assert db.read_text() == "not a database"


def test_the_db_option_overrides_the_environment(bank, tmp_path, db):
    other = tmp_path / "other.sqlite3"
    quiz("--db", str(other), "--limit", "1", input="\n3\n")
    assert len(reviews(other)) == 1 and not db.exists()
