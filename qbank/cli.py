"""The `qbank` command. Thin typer commands over the pure functions in the package.

Start-up matters (the quiz must appear at once), so nothing here imports torch, pydantic
or the bank at module level: each command imports what it needs when it runs.
"""

from __future__ import annotations

from typing import NoReturn

import typer

app = typer.Typer(
    name="qbank",
    help="A Transformer interview question bank in which every answer is proven by code.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """A Transformer interview question bank in which every answer is proven by code."""


def fail(message: str, code: int = 1) -> NoReturn:
    """Print an error to stderr and exit non-zero, without a traceback."""
    typer.echo(f"qbank: error: {message}", err=True)
    raise typer.Exit(code)


@app.command()
def validate(
    no_import: bool = typer.Option(False, "--no-import", help="Do not import the solution modules (no torch)."),
    coverage: bool = typer.Option(False, "--coverage", help="List the seed items no question cites yet."),
) -> None:
    """Validate the bank of the project in the current directory: schema and every link."""
    from qbank.bank import BankNotFound
    from qbank.validate import seed_index
    from qbank.validate import validate as run

    try:
        report = run(import_solutions=not no_import)
    except BankNotFound as e:
        fail(str(e))
    for problem in report.problems:
        typer.echo(str(problem), err=True)
    bank = report.bank
    items = len(seed_index().items)
    typer.echo(f"{len(bank.questions)} questions, {report.claims} claims ({report.checked_claims} proven by a check), "
               f"{items - len(report.uncovered)}/{items} seed items cited")
    if coverage and report.uncovered:
        typer.echo("not cited yet: " + ", ".join(report.uncovered))
    if report.problems:
        fail(f"{len(report.problems)} problem{'s' if len(report.problems) != 1 else ''} found")


def main() -> None:
    app()
