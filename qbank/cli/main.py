"""The `qbank` command. Thin typer commands over the modules of the package:

    catalog (the bank, fast)   quiz (what to ask, pure)   session (one quiz, interactive)
    store (progress, SQLite)   srs (FSRS scheduling)      terminal (rich rendering, TeX)
    grading (verify, grade)    anki (export)              validate (the full schema)
    common (errors, the bank and the progress database every command shares)
    browse (list, show, stats; entry.py runs these three without typer, from the same options)

Start-up matters (the first card must appear at once), so nothing here imports torch,
pydantic or the bank at module level: each command imports what it needs when it runs,
and only `verify` and `grade` reach torch, in a pytest subprocess. Errors go to stderr as
one `qbank: error: ...` line and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer
from typer.core import TyperCommand

from qbank.cli import browse, common, fast_params
from qbank.cli.entry import DB_ENVVAR, DB_PATH, FLAGS, PAGER

fast_params.install()  # plain values converted without importing pydantic (~100 ms)


class Command(TyperCommand):
    """How qbank's commands describe themselves in --help: the whole first paragraph of the
    docstring as the summary in `qbank --help` (click cuts it at 45 characters with "..."),
    and an argument shown by its metavar only (`ID...`, not `ID <list[str]>`)."""

    def get_short_help_str(self, limit: int = 45) -> str:
        return " ".join((self.short_help or self.help or "").split("\n\n")[0].split())

    def format_options(self, ctx, formatter) -> None:
        args, opts = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                name = (param.metavar or param.name.upper()) + ("..." if param.nargs != 1 else "")
                args.append((name, record[1]))
            else:
                opts.append(record)
        for title, rows in (("Arguments", args), ("Options", opts)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)

app = typer.Typer(
    name="qbank",
    help="A Transformer interview question bank in which every answer is proven by code.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
export_app = typer.Typer(help="Export the bank to other tools.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(export_app, name="export")


def _version(value: bool) -> None:
    if value:
        from qbank import __version__

        typer.echo(f"qbank {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show qbank's version and exit."),
) -> None:
    """A Transformer interview question bank in which every answer is proven by code.

    Quiz yourself with spaced repetition (quiz, stats), browse (list, show), prove the
    answers (verify), and implement the components yourself (practice, grade).
    """


# -- shared options ------------------------------------------------------------------------

# Their names are declared in qbank/cli/entry.py, which parses list, show and stats without typer.
TopicOpt = typer.Option(None, *FLAGS["topic"], metavar="TOPIC", help="Only this topic (repeat for several).")
DifficultyOpt = typer.Option(None, *FLAGS["difficulty"], metavar="LEVEL",
                             help="Only this difficulty: easy, medium or hard (repeatable).")
TagOpt = typer.Option(None, *FLAGS["tag"], metavar="TAG",
                      help="Only questions with this tag (repeatable: any of them).")
DbOpt = typer.Option(None, *FLAGS["db"], metavar="PATH", envvar=DB_ENVVAR, show_envvar=True,
                     dir_okay=DB_PATH.dir_okay, readable=DB_PATH.readable,
                     help="Progress database [default: progress.sqlite3 in your user data folder].")


def _console():
    from rich.console import Console

    return Console(highlight=False, emoji=False)


def _prestart_worker() -> None:
    """Start the worker the checks are forked from (qbank/grading/worker.py) now, if none is
    running, so that its imports overlap the CLI's own work."""
    from qbank.grading import worker
    from qbank.progress.store import cache_folder

    worker.prestart(cache_folder())


# -- quiz ----------------------------------------------------------------------------------


@app.command(cls=Command)
def quiz(
    topic: Optional[list[str]] = TopicOpt,
    difficulty: Optional[list[str]] = DifficultyOpt,
    tag: Optional[list[str]] = TagOpt,
    limit: int = typer.Option(20, "--limit", "-n", min=1, metavar="N", help="At most this many questions."),
    random: bool = typer.Option(False, "--random",
                                help="Plain shuffle of every selected question, ignoring the schedule."),
    ahead: bool = typer.Option(False, "--all",
                               help="After the due and new questions, review the others ahead of time."),
    type_answers: bool = typer.Option(False, "--type",
                                      help="Type an answer to every question before seeing the answer "
                                           "(in a terminal; without one, typing is always how it works)."),
    db: Optional[Path] = DbOpt,
    seed: Optional[int] = typer.Option(None, "--seed", hidden=True, help="Seed of --random (for tests)."),
) -> None:
    """Quiz yourself: due questions first (spaced repetition, FSRS), then new ones.

    Each question: Space (or Enter) shows the answer, t lets you type yours first. Then
    grade yourself with one key: 1 again, 2 hard, 3 good, 4 easy, each labelled with the
    interval it gives; d shows the detailed answer. Anywhere: s skips, u undoes the last
    grade, q quits. Each grade is saved at once: q or Ctrl-C loses none. Without a
    terminal (piped input) it reads lines: Enter, then 1-4.
    """
    import random as random_module

    from qbank.cli import quiz as q
    from qbank.cli import session, terminal
    from qbank.progress import srs

    _, entries = common.selected(topic, difficulty, tag)
    store = common.open_store(db, create=True)
    console = _console()
    with common.errors(), store:
        due = store.due_dates()
        now = srs.now()
        if random:
            slots = q.shuffle(entries, due, now, limit, random_module.Random(seed))
        else:
            slots = q.order(entries, due, now, limit, ahead=ahead)
        if not slots:
            _nothing_due(console, entries, due, now)
            return
        summary = session.run(console, store, slots, terminal.input_for(console), type_answers=type_answers)
        _session_summary(console, summary, store, entries)
    if summary.interrupted:
        raise SystemExit(common.EXIT_INTERRUPTED)


def _nothing_due(console, entries, due, now) -> None:
    from qbank.cli import quiz as q
    from qbank.progress import srs

    if not entries:
        console.print("No question matches these filters.")
        return
    following = q.next_due(entries, due, now)
    when = f" The next one is due {srs.describe_interval(following - now)}." if following else ""
    console.print(f"Nothing to review now: every selected question is scheduled later.{when} "
                  f"Use --all to review ahead, or --random for a plain shuffle.")


def _session_summary(console, summary, store, entries) -> None:
    from collections import Counter

    from rich.markup import escape

    from qbank.cli import quiz as q
    from qbank.progress import srs

    n = summary.reviews
    where = escape(str(store.path))
    extra = ", ".join(([f"{len(summary.skipped)} skipped"] if summary.skipped else [])
                      + ([f"{summary.undone} undone"] if summary.undone else []))
    if n:
        counts = Counter(srs.RATINGS[r] for _, r in summary.ratings)
        detail = ", ".join(f"{k} {word}" for word, k in counts.items()) + (f"; {extra}" if extra else "")
        saved = f"{n} review{'s' if n != 1 else ''} saved ({detail}) in {where}."
    else:
        saved = f"No review given{f' ({extra})' if extra else ''}: nothing was saved."
    if summary.interrupted:
        console.print(f"\nInterrupted. {saved}" if n else "\nInterrupted before any grade: nothing was saved.")
    else:
        console.print(f"\n{saved}")
    due, now = store.due_dates(), srs.now()
    still = sum(1 for e in entries if e.id in due and due[e.id] <= now)
    following = q.next_due(entries, due, now)
    if still:
        console.print(f"{still} question{'s are' if still != 1 else ' is'} due now: run qbank quiz again.")
    elif following:
        console.print(f"Next review due {srs.describe_interval(following - now)}.")


# -- stats ---------------------------------------------------------------------------------


@app.command(cls=Command)
def stats(db: Optional[Path] = DbOpt) -> None:
    """Your progress: reviews done, questions due today, retention, and progress per topic."""
    browse.stats(db)


# -- list and show -------------------------------------------------------------------------


@app.command("list", cls=Command)
def list_(
    topic: Optional[list[str]] = TopicOpt,
    difficulty: Optional[list[str]] = DifficultyOpt,
    tag: Optional[list[str]] = TagOpt,
    db: Optional[Path] = DbOpt,
) -> None:
    """List the questions (with the same filters as quiz) and when each is due."""
    browse.list_questions(topic, difficulty, tag, db)


@app.command(cls=Command)
def show(
    question_id: str = typer.Argument(..., metavar="ID", help="The question's id (see qbank list)."),
    db: Optional[Path] = DbOpt,
    pager: bool = typer.Option(True, "/".join(PAGER),
                               help="Page long output (in a terminal: $PAGER, else less)."),
) -> None:
    """Show one question in full: the question, both answers, its claims, errata and sources."""
    browse.show(question_id, db, pager)


# -- verify, practice, grade ---------------------------------------------------------------


FailedOnlyOpt = typer.Option(False, "--failed-only", "-f", help="Leave out the checks that hold.")
QuietOpt = typer.Option(False, "--quiet", "-q", help="Only the count and the failing claims, one line each.")
CheckOpt = typer.Option(None, "--check", "-k", metavar="NAME",
                        help="Only the checks named NAME, or whose name contains it, or those of a check file "
                             "(checks/test_x.py); repeatable.")
SeedOpt = typer.Option(None, "--seed", metavar="N",
                       help="Hypothesis's seed: the same examples as the run that printed it.")


@app.command(cls=Command)
def verify(
    question_ids: Optional[list[str]] = typer.Argument(None, metavar="ID", show_default=False,
                                                       help="Questions to verify (default: all)."),
    topic: Optional[list[str]] = TopicOpt,
    impl: Optional[str] = typer.Option(None, "--impl", metavar="FILE_OR_MODULE",
                                       help="Implementation to run the checks on (default: the bank's solutions)."),
    check: Optional[list[str]] = CheckOpt,
    seed: Optional[int] = SeedOpt,
    failed_only: bool = FailedOnlyOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Run the checks that prove these questions' claims, and say which hold.

    One line per check, failures first with their inputs, expected and actual values.
    Exit code 0 if every claim holds, 1 if one fails, 2 if the checks could not run.
    """
    _prestart_worker()
    from rich.markup import escape

    from qbank.cli.catalog_cache import check_reads
    from qbank.cli.report import claim_report
    from qbank.grading.grade import how_checks_run
    from qbank.grading.grade import verify as run_verify

    catalog = common.catalog()
    filters = common.filters(catalog, topic, None, None)
    entries = [common.entry(catalog, i) for i in question_ids] if question_ids else catalog.entries
    entries = [e for e in entries if filters.matches(e)]
    if not entries:
        common.fail("no question matches")
    console = _console()
    checks = len({n for e in entries for n in e.checks})
    what = (f"Running {checks} check{'s' if checks != 1 else ''} for {len(entries)} "
            f"question{'s' if len(entries) != 1 else ''} against {impl or 'the reference solutions'}")
    if not quiet:
        console.print(f"[dim]{escape(what)} ({how_checks_run()})…[/]", soft_wrap=True)
    with common.errors(), _progress(console, what) as progress:
        run = run_verify(catalog, entries, impl, list(check or ()), seed, progress, reads=check_reads(catalog.root))
    rerun = ["qbank", "verify", *(question_ids or [])] + (["--impl", impl] if impl else []) + ["--seed", str(run.seed)]
    claim_report(console, run, entries=entries, failed_only=failed_only, quiet=quiet, rerun=rerun)
    if run.count("failed"):
        raise SystemExit(common.EXIT_FAILED)


def _component(name: str) -> str:
    from qbank.grading.grade import resolve_component

    with common.errors():
        return resolve_component(name)


@app.command(cls=Command)
def practice(
    component: Optional[str] = typer.Argument(None, metavar="COMPONENT",
                                              help="The component to implement (omit to list them)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", dir_okay=False, metavar="FILE",
                                          help="Where to write it [default: ./COMPONENT.py]."),
    force: bool = typer.Option(False, "--force", help="Overwrite the file if it exists."),
) -> None:
    """Write a starter file for a component: the contract's signatures, shapes and
    docstrings, for you to fill in; then check it with qbank grade FILE."""
    from qbank.contract import COMPONENTS, starter_file

    if component is None:
        console = _console()
        for c in COMPONENTS.values():
            names = ", ".join(n.name for n in c.names)
            console.print(f"[bold]{c.name:<16}[/] {c.title}: {names}", soft_wrap=True)
        console.print("\nqbank practice COMPONENT writes its starter file (multi-head and multi_head both work).",
                      soft_wrap=True)
        return
    component = _component(component)
    path = output or Path(f"{component}.py")
    if path.exists() and not force:
        common.fail(f"{path} exists already; it was left untouched (use --force to overwrite, or -o for another name)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(starter_file(component), encoding="utf-8")
    except OSError as e:
        common.fail(f"cannot write {path}: {e.strerror or e}")
    names = [n.name for n in COMPONENTS[component].names]
    typer.echo(f"Wrote {path}: {len(names)} to implement ({', '.join(names)}).\n"
               f"Replace each `raise NotImplementedError` following the docstrings, then run:\n"
               f"    qbank grade {path}")


@app.command(cls=Command)
def grade(
    file: Path = typer.Argument(..., dir_okay=False, metavar="FILE", help="Your implementation (a .py file)."),
    component: Optional[list[str]] = typer.Option(None, "--component", "-c", metavar="NAME",
                                                  help="Component(s) to grade, e.g. multi-head or multi_head "
                                                       "[default: those the file defines]."),
    check: Optional[list[str]] = CheckOpt,
    seed: Optional[int] = SeedOpt,
    failed_only: bool = FailedOnlyOpt,
    quiet: bool = QuietOpt,
    thorough: bool = typer.Option(False, "--thorough",
                                  help="40 Hypothesis examples a check, as when the bank is proven, instead of 20."),
) -> None:
    """Grade your implementation with the bank's own checks: one line per check, failures
    first, each with its inputs, what was expected and what your code gave, and the command
    that re-runs it alone.

    The first grade starts a worker that keeps torch loaded for the next ones (~2.5 s sooner;
    QBANK_WORKER=0 runs a plain subprocess instead).

    Exit code 0 if every check holds, 1 if one fails or is skipped (a name of the component
    is missing), 2 if the file cannot be graded.
    """
    _prestart_worker()
    from rich.markup import escape

    from qbank.cli.catalog_cache import check_reads
    from qbank.cli.report import claim_report
    from qbank.contract import COMPONENTS
    from qbank.grading.grade import components_of, how_checks_run, misspelled
    from qbank.grading.grade import grade as run_grade

    catalog = common.catalog()
    path = file.resolve()
    with common.errors():
        found = components_of(path)
        misses = misspelled(path)
    components = [_component(c) for c in component or ()] or found
    if misses:
        said = ", ".join(f"{wrong} (did you mean {right}?)" for wrong, right in misses.items())
        if not components:
            common.fail(f"{file} defines {said}: the checks look names up exactly as the contract spells them")
        common.warn(f"{file} defines {said}; the checks of {', '.join(misses.values())} will be skipped")
    if not components:
        example = next(iter(COMPONENTS.values())).names[0].name
        common.fail(f"{file} defines none of the contract's names (e.g. {example}); "
                    f"`qbank practice` lists the components and writes a starter file")
    console = _console()
    what = f"Grading your {file.name} ({', '.join(components)}) with the bank's checks"
    if not quiet:
        console.print(f"[dim]{escape(what)} ({how_checks_run()})…[/]", soft_wrap=True)
    with common.errors(), _progress(console, what) as progress:
        run = run_grade(catalog, path, components, list(check or ()), seed, progress, thorough,
                        reads=check_reads(catalog.root))
    rerun = ["qbank", "grade", str(file), *(x for c in component or () for x in ("--component", c)),
             *(["--thorough"] if thorough else []), "--seed", str(run.seed)]
    claim_report(console, run, learner=path, failed_only=failed_only, quiet=quiet, rerun=rerun)
    if run.count("passed") < len(run.results):  # a failure, or a name of the component still missing
        raise SystemExit(common.EXIT_FAILED)


@contextmanager
def _progress(console, message: str):
    """A spinner with the count of checks done while they run (only on a terminal)."""
    if not console.is_terminal:
        yield None
        return
    with console.status(message + "…") as status:
        def update(done: int, total: int, failed: int) -> None:
            fails = f", {failed} failed" if failed else ""
            status.update(f"{message}: {done}/{total or '?'} checks{fails}…")

        yield update


# -- export --------------------------------------------------------------------------------


@export_app.command("anki", cls=Command)
def export_anki(
    file: Path = typer.Argument(..., dir_okay=False, metavar="FILE.apkg", help="The deck file to write."),
    topic: Optional[list[str]] = TopicOpt,
    difficulty: Optional[list[str]] = DifficultyOpt,
    tag: Optional[list[str]] = TagOpt,
    figures: bool = typer.Option(True, "--figures/--no-figures",
                                 help="Draw the study site's figures into the deck (needs matplotlib and torch: "
                                      "a few seconds)."),
) -> None:
    """Write the bank as an Anki deck: question, answers, claims, errata, sources and figures.

    Re-importing a newer export updates the notes (stable ids) instead of duplicating them;
    Anki schedules the cards itself.
    """
    from qbank.cli.anki import export

    if file.suffix != ".apkg":
        common.fail(f"{file}: an Anki deck file must end in .apkg")
    catalog, entries = common.selected(topic, difficulty, tag)
    if not entries:
        common.fail("no question matches")
    try:
        result = export(entries, file, root=catalog.root, figures=figures)
    except OSError as e:
        common.fail(f"cannot write {file}: {e.strerror or e}")
    for warning in result.warnings:
        common.warn(warning)
    pictures = f" and {result.figures} figure{'s' if result.figures != 1 else ''}" if result.figures else ""
    typer.echo(f"Wrote {result.notes} note{'s' if result.notes != 1 else ''}{pictures} to {file}. "
               f"In Anki: File > Import.")


@app.command(cls=Command)
def validate(
    no_import: bool = typer.Option(False, "--no-import", help="Do not import the solution modules (no torch)."),
    coverage: bool = typer.Option(False, "--coverage", help="List the seed items no question cites yet."),
) -> None:
    """Validate the bank of the project in the current directory: schema and every link."""
    from qbank.bank.loader import BankNotFound
    from qbank.bank.validate import seed_index
    from qbank.bank.validate import validate as run

    try:
        report = run(import_solutions=not no_import)
    except BankNotFound as e:
        common.fail(str(e))
    for problem in report.problems:
        typer.echo(str(problem), err=True)
    bank = report.bank
    items = len(seed_index().items)
    typer.echo(f"{len(bank.questions)} questions, {report.claims} claims ({report.checked_claims} proven by a check), "
               f"{items - len(report.uncovered)}/{items} seed items cited")
    if coverage and report.uncovered:
        typer.echo("not cited yet: " + ", ".join(report.uncovered))
    if report.problems:
        n = len(report.problems)
        common.fail(f"{n} problem{'s' if n != 1 else ''} found", common.EXIT_FAILED)


def main() -> None:
    """The console script of an install made before qbank/cli/entry.py: typer parses everything."""
    app()
