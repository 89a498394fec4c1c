"""`qbank list`, `show`, `stats`, `practice` and `export anki`, driven through CliRunner."""

import ast
import sqlite3
import zipfile
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from qbank.progress import srs
from qbank.cli.main import app
from qbank.contract import COMPONENTS
from qbank.progress.store import Store
from tests.cli_bank import bank, db  # noqa: F401 - fixtures shared by the CLI tests



def run(*args, input=""):
    return CliRunner().invoke(app, list(args), input=input)


def test_help_lists_every_command():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("quiz", "stats", "list", "show", "verify", "practice", "grade", "export", "validate"):
        assert command in result.stdout


def test_list_shows_the_questions_grouped_by_topic_with_the_filters(bank, db):
    result = run("list")
    assert result.exit_code == 0
    out = result.stdout
    assert out.index("Scaled dot-product attention") < out.index("alpha-easy") < out.index("Masks: causal")
    assert "4 questions" in out and "1/2" in out  # one claim proven by a check, of two
    only = run("list", "--topic", "attention", "--difficulty", "hard")
    assert "beta-hard" in only.stdout and "alpha-easy" not in only.stdout and "1 question " in only.stdout
    assert not db.exists()  # browsing creates no database


def test_show_prints_everything_about_a_question(bank, db):
    result = run("show", "alpha-easy")
    assert result.exit_code == 0
    out = result.stdout
    for part in ("What does attention compute for T queries?", "A weighted average of the values",
                 "softmax(QKᵀ/√dₖ)V", "The first claim.", "proven by checks/test_demo.py::test_alpha_easy_one",
                 "unprovable: It needs a trained model.", "004-5", "Something right.", "not reviewed yet"):
        assert part in out, part
    assert not db.exists()


def test_show_an_unknown_id_suggests_the_closest(bank):
    result = run("show", "alpha-eazy")
    assert result.exit_code == 2
    assert result.stderr == "qbank: error: unknown question id 'alpha-eazy'; did you mean alpha-easy?\n"


def test_stats_report_reviews_due_retention_and_topics(bank, db):
    empty = run("stats")
    assert empty.exit_code == 0 and "Reviews: 0" in empty.stdout and "no recall yet" in empty.stdout
    now = srs.now()
    with Store.open(db) as store:
        srs.review(store, "alpha-easy", 3, now - timedelta(days=20))
        srs.review(store, "alpha-easy", 1, now - timedelta(days=10))  # a lapse
        srs.review(store, "alpha-easy", 3, now - timedelta(days=9))
        srs.review(store, "gamma-masks", 4, now - timedelta(hours=1))
    result = run("stats")
    assert result.exit_code == 0
    out = result.stdout
    assert "Reviews: 4 (1 today)" in out
    assert "questions seen: 2 of 4" in out
    assert "Retention: 50% of 2 recalls" in out  # alpha's 2nd (again) and 3rd (good) review
    rows = {cells[0]: cells[1:] for line in out.splitlines() if line.startswith("│")
            for cells in [[c.strip() for c in line.strip("│").split("│")]]}
    # topic: questions, seen, due today, mature, retention, progress bar
    assert rows["attention"][:5] == ["2", "1", "1", "0", "50%"], rows  # due again after the lapse
    assert rows["masking"][:5] == ["1", "1", "0", "0", "—"], rows


def test_stats_on_a_foreign_database_is_an_error(bank, db):
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    result = run("stats")
    assert result.exit_code == 2 and "another application" in result.stderr and "Traceback" not in result.output


def test_practice_lists_the_components_and_writes_a_starter_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    listing = run("practice")
    assert listing.exit_code == 0 and all(c in listing.stdout for c in COMPONENTS)
    result = run("practice", "multi_head")
    assert result.exit_code == 0
    assert "qbank grade multi_head.py" in result.stdout
    tree = ast.parse((tmp_path / "multi_head.py").read_text())
    names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assert names == {"split_heads", "merge_heads", "MultiHeadAttention"}


def test_practice_never_overwrites_the_learners_work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "attention.py").write_text("# my work\n")
    result = run("practice", "attention")
    assert result.exit_code == 2 and "exists already" in result.stderr
    assert (tmp_path / "attention.py").read_text() == "# my work\n"
    assert run("practice", "attention", "-o", "mine/att.py").exit_code == 0
    assert "def attention_weights" in (tmp_path / "mine" / "att.py").read_text()
    assert run("practice", "attention", "--force").exit_code == 0
    assert "NotImplementedError" in (tmp_path / "attention.py").read_text()


def test_practice_an_unknown_component_is_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("practice", "attentoin")
    assert result.exit_code == 2 and "unknown component 'attentoin'; choose from: attention" in result.stderr


def anki_notes(path):
    with zipfile.ZipFile(path) as z:
        (tmp := path.with_suffix(".anki2")).write_bytes(z.read("collection.anki2"))
    conn = sqlite3.connect(tmp)
    try:
        notes = conn.execute("SELECT guid, mid, flds, tags FROM notes").fetchall()
        decks = conn.execute("SELECT decks FROM col").fetchone()[0]
    finally:
        conn.close()
    return notes, decks


def test_export_anki_writes_one_note_per_question_with_stable_ids(bank, tmp_path):
    import genanki

    from qbank.cli.anki import MODEL_ID, note_guid

    first = tmp_path / "deck.apkg"
    result = run("export", "anki", str(first))
    assert result.exit_code == 0 and "Wrote 4 notes" in result.stdout
    notes, decks = anki_notes(first)
    assert len(notes) == 4 and {mid for _, mid, _, _ in notes} == {MODEL_ID}
    assert {guid for guid, *_ in notes} == {note_guid(i) for i in
                                            ("alpha-easy", "beta-hard", "gamma-masks", "delta-norm")}
    assert note_guid("alpha-easy") == genanki.guid_for("qbank", "alpha-easy")
    assert "Transformer interview (qbank)::Masks: causal and padding" in decks
    alpha = next(f for g, _, f, _ in notes if g == note_guid("alpha-easy"))
    assert r"\[\mathrm{softmax}" in alpha and r"\(T\)" in alpha  # math for Anki's MathJax
    assert "<code>weights.sum(-1) == 1</code>" in alpha
    tags = next(t for g, _, _, t in notes if g == note_guid("alpha-easy"))
    assert "topic::attention" in tags and "softmax" in tags
    # correcting an answer and exporting again: same notes (Anki updates them), new text
    path = bank / "questions" / "attention" / "alpha-easy.yaml"
    path.write_text(path.read_text().replace("A weighted average", "A convex combination"))
    second = tmp_path / "again.apkg"
    run("export", "anki", str(second))
    notes2, _ = anki_notes(second)
    assert {g for g, *_ in notes2} == {g for g, *_ in notes}
    assert "A convex combination" in next(f for g, _, f, _ in notes2 if g == note_guid("alpha-easy"))


def test_export_anki_needs_an_apkg_name(bank, tmp_path):
    result = run("export", "anki", str(tmp_path / "deck.zip"))
    assert result.exit_code == 2 and "must end in .apkg" in result.stderr


def test_no_bank_is_a_clear_error(tmp_path, monkeypatch):
    import qbank.bank.loader

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QBANK_ROOT", raising=False)
    monkeypatch.setattr(qbank.bank.loader, "PACKAGE_DIR", tmp_path / "pkg" / "qbank")
    result = run("list")
    assert result.exit_code == 2 and "no question bank" in result.stderr and "Traceback" not in result.output


def test_a_broken_question_file_is_skipped_with_a_warning(bank):
    (bank / "questions" / "attention" / "broken.yaml").write_text("id: [unclosed\n")
    result = run("list")
    assert result.exit_code == 0 and "4 questions" in result.stdout
    assert "skipped questions/attention/broken.yaml: invalid YAML at line 2" in result.stderr
    assert "qbank validate" in result.stderr


def test_the_fast_catalog_agrees_with_the_schema():
    """qbank.bank.catalog reads the bank without pydantic; it must see what qbank.bank.loader sees."""
    from qbank.bank import catalog
    from qbank.bank.loader import find_root, load_bank

    root = find_root(Path(__file__).resolve().parent)
    fast = {e.id: e for e in catalog.load_catalog(root).entries}
    for q in load_bank(root).questions:  # every valid question, as the quiz shows it
        e = fast[q.id]
        assert (e.topic, e.difficulty, e.tags, e.question, e.short, e.detailed) == (
            q.topic, q.difficulty, tuple(q.tags), q.question, q.answer.short, q.answer.detailed)
        assert [(c.claim, c.check, c.unprovable) for c in e.claims] == [
            (c.claim, c.check, c.unprovable) for c in q.claims]
        assert e.checks == q.checks
