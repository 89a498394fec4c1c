"""`qbank list`, `show`, `stats`, `practice` and `export anki`, driven through CliRunner."""

import ast
import json
import sqlite3
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qbank.progress import srs
from qbank.cli.main import app
from qbank.contract import COMPONENTS
from qbank.progress.store import Store
from tests.cli_bank import bank, db  # noqa: F401 - fixtures shared by the CLI tests
from tests.cli_bank import reviews



def run(*args, input=""):
    return CliRunner().invoke(app, list(args), input=input)


def test_help_lists_every_command_with_its_whole_summary():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("quiz", "stats", "list", "show", "verify", "practice", "grade", "export", "validate"):
        assert command in result.stdout
    commands = result.stdout.split("Commands:")[1]
    assert "..." not in commands and "…" not in commands  # click cut summaries at 45 characters
    flat = " ".join(result.stdout.split())
    assert "Quiz yourself: due questions first (spaced repetition, FSRS), then new ones." in flat
    assert "Grade your implementation with the bank's own checks: one line per check" in flat


def test_arguments_are_shown_by_their_name_not_their_python_type():
    for args, shown in ((["verify", "--help"], "ID..."), (["show", "--help"], "ID"),
                        (["practice", "--help"], "COMPONENT"), (["export", "anki", "--help"], "FILE.apkg")):
        result = run(*args)
        assert result.exit_code == 0
        assert "<" not in result.stdout and "list[str]" not in result.stdout, result.stdout
        assert f"  {shown}  " in result.stdout, result.stdout


def test_version():
    from qbank import __version__

    result = run("--version")
    assert result.exit_code == 0 and result.stdout == f"qbank {__version__}\n"


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
    out = " ".join(result.stdout.split())
    for part in ("What does attention compute for T queries?", "A weighted average of the values",
                 "softmax(QKᵀ/√dₖ)V", "The first claim.", "checks/test_demo.py::test_alpha_easy_one",
                 "argued: It needs a trained model.", "Something right.", "not reviewed yet",
                 # the sources by their documents' titles and what the item asks, not "004-5"
                 "Transformer internals and attention: LLM interview questions, Q5 says: Something wrong.",
                 "Transformers in NLP: an overview and interview questions, overview step 3"):
        assert part in out, part
    assert "004-5" not in out
    assert not db.exists()


def test_show_never_breaks_a_check_id_and_indents_wrapped_claims(bank):
    path = bank / "questions" / "attention" / "alpha-easy.yaml"
    long_claim = "The first claim. " + "It goes on and on, " * 12 + "to the end."
    path.write_text(path.read_text().replace("claim: The first claim.", f"claim: {long_claim}"))
    result = CliRunner().invoke(app, ["show", "alpha-easy"], env={"COLUMNS": "60"})
    lines = result.stdout.splitlines()
    assert "     checks/test_demo.py::test_alpha_easy_one" in lines  # whole, on its own line
    first = next(i for i, line in enumerate(lines) if "The first claim." in line)
    assert lines[first].startswith(" • ")
    assert all(line.startswith("   ") and line.strip() for line in lines[first + 1:first + 4])  # hanging indent
    assert "✗" not in result.stdout  # errata are not marked like failed claims
    assert "argued: no code can settle it" in " ".join(result.stdout.split())  # the legend explains every mark


def test_show_uses_a_pager_only_on_a_terminal_and_for_long_text(bank, monkeypatch, tmp_path):
    from qbank.bank.catalog import load_catalog
    from qbank.cli import terminal
    from qbank.cli.views import show_lines

    entry = load_catalog().get("alpha-easy")
    out = tmp_path / "paged.txt"
    monkeypatch.setenv("PAGER", f"sh -c 'cat > {out}'")
    for height, paged in ((200, False), (10, True)):
        out.unlink(missing_ok=True)
        with open(tmp_path / "screen.txt", "w") as screen:
            plain = terminal.Plain(screen, width=80, height=height, terminal=True)
            terminal.page(plain, show_lines(entry, plain, None, 0))
        assert out.exists() == paged, height
        if paged:
            assert "What does attention compute" in out.read_text()
    with open(tmp_path / "pipe.txt", "w") as pipe:
        plain = terminal.Plain(pipe, width=80, height=10)  # not a terminal: never paged
        terminal.page(plain, show_lines(entry, plain, None, 0))
    assert "What does attention compute" in (tmp_path / "pipe.txt").read_text()


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
        srs.review(store, "gamma-masks", 4, now)  # today whatever the hour (an hour ago is yesterday before 1 am)
    result = run("stats")
    assert result.exit_code == 0
    out = result.stdout
    assert "Reviews: 4 (1 today)" in out
    assert "questions seen: 2 of 4" in out
    assert "Retention: 50% of 2 recalls" in out  # alpha's 2nd (again) and 3rd (good) review
    table = out.split("Per topic\n")[1].splitlines()
    assert table[0].split() == ["topic", "questions", "seen", "due", "today", "mature", "retention", "progress"]
    rows = {cells[0]: cells[1:] for line in table[1:] for cells in [line.split()]}
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


# -- a progress file that is empty, partial or damaged: every command the same way ------------

READERS = [["stats"], ["list"], ["show", "alpha-easy"]]


def empty_sqlite(db):
    conn = sqlite3.connect(db)
    conn.execute("VACUUM")
    conn.close()


def damaged(db):
    with Store.open(db) as store:
        srs.review(store, "alpha-easy", 3)
    conn = sqlite3.connect(db)
    conn.executemany("INSERT INTO reviews (question_id, rating, reviewed_at, log) VALUES ('x', 3, '2026-01-01', '{}')",
                     [()] * 3000)
    conn.commit()
    conn.close()
    data = bytearray(db.read_bytes())
    data[2 * 4096:6 * 4096] = b"\xa5" * (4 * 4096)
    db.write_bytes(bytes(data))


def partial(db):
    with Store.open(db) as store:
        srs.review(store, "alpha-easy", 3)
    db.write_bytes(db.read_bytes()[:60])  # cut inside SQLite's header


@pytest.mark.parametrize("make", [lambda db: db.touch(), empty_sqlite], ids=["zero-bytes", "sqlite-without-tables"])
def test_an_empty_progress_file_is_a_new_database_for_every_command(db, make):
    make(db)
    before = db.read_bytes()
    for args in READERS:
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)
        assert result.stderr == "", (args, result.stderr)  # no raw SQL error, no warning: just no progress yet
        assert db.read_bytes() == before  # reading commands never write
    assert "Reviews: 0" in run("stats").stdout and "not reviewed yet" in run("show", "alpha-easy").stdout
    result = run("quiz", "--limit", "1", input="\n3\n")  # the quiz initialises it
    assert result.exit_code == 0 and [r for _, r, _ in reviews(db)] == [3]


@pytest.mark.parametrize("make, words", [(partial, "truncated SQLite header"), (damaged, "is damaged")],
                         ids=["partial", "damaged"])
def test_a_bad_progress_file_is_refused_by_stats_and_quiz_and_only_warned_about_by_list_and_show(db, make, words):
    make(db)
    before = db.read_bytes()
    for args in (["stats"], ["quiz"]):
        result = run(*args, input="\n3\n")
        assert result.exit_code == 2, args
        assert result.stderr.startswith("qbank: error: ") and str(db) in result.stderr and words in result.stderr
        assert "untouched" in result.stderr and "Traceback" not in result.output
    for args in (["list"], ["show", "alpha-easy"]):
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)
        assert result.stderr.startswith("qbank: warning: ") and str(db) in result.stderr and words in result.stderr
        assert "without your progress" in result.stderr
        assert "alpha-easy" in result.stdout
    assert "your progress: unknown" in run("show", "alpha-easy").stdout
    assert db.read_bytes() == before  # nothing rewritten, by any command


# -- a question file with a field the format does not have --------------------------------------


def test_an_unknown_field_makes_every_command_skip_the_file_as_validate_rejects_it(bank, db):
    path = bank / "questions" / "attention" / "alpha-easy.yaml"
    path.write_text(path.read_text().replace("tags:", "tgas:", 1))
    for args in (["quiz", "--limit", "1"], ["list"]):
        result = run(*args, input="q\n")
        assert ("skipped questions/attention/alpha-easy.yaml: `tgas`: unknown field; did you mean `tags`? "
                "(run `qbank validate` for details)") in result.stderr, result.stderr
        assert "alpha-easy" not in result.stdout
    path.write_text(path.read_text().replace("tgas:", "tags:").replace("  short:", "  sort: x\n  short:"))
    assert "`answer.sort`: unknown field; did you mean `short`?" in run("list").stderr


def test_the_fast_catalog_knows_the_same_fields_as_the_schema():
    from qbank.bank.catalog import ANSWER_FIELDS, FIELDS
    from qbank.bank.schema import Answer, Question

    assert set(FIELDS) == set(Question.model_fields) and set(ANSWER_FIELDS) == set(Answer.model_fields)


# -- the Anki deck ------------------------------------------------------------------------------


def note_fields(path, question_id):
    from qbank.cli.anki import FIELDS, note_guid

    notes, _ = anki_notes(path)
    flds = next(f for g, _, f, _ in notes if g == note_guid(question_id))
    return dict(zip(FIELDS, flds.split("\x1f")))


def test_export_anki_cards_read_as_the_site_claims_as_sentences_errata_sources_by_title(bank, tmp_path):
    deck = tmp_path / "deck.apkg"
    assert run("export", "anki", str(deck), "--no-figures").exit_code == 0
    fields = note_fields(deck, "alpha-easy")
    assert "checks/" not in fields["Claims"] and "test_alpha_easy" not in fields["Claims"]  # no node ids
    assert "The first claim." in fields["Claims"] and "Argued, not checked: It needs a trained model." in fields["Claims"]
    assert "Transformer internals and attention: LLM interview questions, Q5 says:" in fields["Errata"]
    assert "Something wrong." in fields["Errata"] and "Something right." in fields["Errata"]
    assert "Transformers in NLP: an overview and interview questions, overview step 3" in fields["Sources"]
    assert "$" not in "".join(fields.values())  # every formula written for MathJax
    assert r"\(\sqrt{d_k}\)" in note_fields(deck, "beta-hard")["Question"]
    conn_path = deck.with_suffix(".anki2")
    conn = sqlite3.connect(conn_path)
    sort = dict(conn.execute("SELECT guid, sfld FROM notes").fetchall())
    models = conn.execute("SELECT models FROM col").fetchone()[0]
    conn.close()
    from qbank.cli.anki import SORT_FIELD, note_guid

    assert sort[note_guid("alpha-easy")] == "What does attention compute for T queries?"  # the title, not the id
    assert f'"sortf": {SORT_FIELD}' in models


def test_export_anki_puts_the_sites_figures_in_the_deck_as_media(bank, tmp_path, monkeypatch):
    import qbank.site.figures as figures

    drawn = []

    def fake_svg(figure):
        drawn.append(figure.name)
        return f"<svg xmlns='http://www.w3.org/2000/svg'><title>{figure.name}</title></svg>".encode()

    monkeypatch.setattr(figures, "svg", fake_svg)
    path = bank / "questions" / "attention" / "beta-hard.yaml"
    path.write_text(path.read_text().replace("tags: [scaling]", "tags: [scaling, variance]"))
    deck = tmp_path / "deck.apkg"
    result = run("export", "anki", str(deck))
    assert result.exit_code == 0, result.output
    assert "and 1 figure" in result.stdout
    assert drawn == ["score-variance"]  # the figure the site attaches to it, drawn once
    with zipfile.ZipFile(deck) as z:
        media = json.loads(z.read("media"))
        assert media == {"0": "qbank-score-variance.svg"}
        assert b"<title>score-variance</title>" in z.read("0")
    fields = note_fields(deck, "beta-hard")
    assert '<img src="qbank-score-variance.svg"' in fields["Figures"]
    assert note_fields(deck, "alpha-easy")["Figures"] == ""


@pytest.mark.e2e
def test_export_anki_draws_real_figures(bank, tmp_path):
    """The real drawing (matplotlib, torch, the bank's solutions): slow, so end-to-end only."""
    pytest.importorskip("matplotlib")
    import qbank.cli.anki as anki
    from qbank.bank.catalog import load_catalog

    root = Path(__file__).resolve().parents[1]
    entry = next(e for e in load_catalog(root).entries if e.id == "why-scale-by-sqrt-dk")
    deck = tmp_path / "real.apkg"
    result = anki.export([entry], deck, root=root)
    assert result.figures >= 1 and not result.warnings
    with zipfile.ZipFile(deck) as z:
        assert any(z.read(k).lstrip().startswith(b"<?xml") for k in json.loads(z.read("media")))


# -- the remembered questions (qbank.cli.catalog_cache) ------------------------------------------


def test_remembered_questions_equal_the_files_and_follow_every_change(bank, tmp_path):
    from qbank.bank.catalog import load_catalog as fresh
    from qbank.cli import catalog_cache

    def cached():
        catalog_cache._remembered.clear()  # a new process
        return catalog_cache.load_catalog(bank)

    first, again = cached(), cached()
    assert first.entries == fresh(bank).entries == again.entries  # every field of every question
    assert catalog_cache.cache_file(bank).exists()
    path = bank / "questions" / "attention" / "alpha-easy.yaml"
    path.write_text(path.read_text().replace("A weighted average", "A convex combination"))
    assert "A convex combination" in cached().get("alpha-easy").short  # a changed file is read again
    (bank / "questions" / "masking" / "broken.yaml").write_text("id: [unclosed\n")
    for _ in range(2):  # a broken file is never remembered: its warning comes every time
        assert any("broken.yaml" in w for w in cached().warnings)
    catalog_cache.cache_file(bank).write_bytes(b"\x00garbage")  # a damaged cache: the files are read
    assert [e.id for e in cached().entries] == [e.id for e in fresh(bank).entries]


def test_the_whole_bank_round_trips_through_the_cache(tmp_path, monkeypatch):
    from qbank.bank.catalog import load_catalog as fresh
    from qbank.cli import catalog_cache

    monkeypatch.setenv("QBANK_CACHE", str(tmp_path))
    root = Path(__file__).resolve().parents[1]
    entries = fresh(root).entries
    assert [catalog_cache.unpack(catalog_cache.pack(e)) for e in entries] == entries
    catalog_cache._remembered.clear()
    catalog_cache.load_catalog(root)
    catalog_cache._remembered.clear()
    assert catalog_cache.load_catalog(root).entries == entries
    catalog_cache._remembered.clear()
    assert catalog_cache.seed_index(root) == catalog_cache.seed_index(root)
    from qbank.bank.seeds import seed_index

    assert catalog_cache.seed_index(root) == seed_index()
