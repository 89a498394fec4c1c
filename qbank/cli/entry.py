"""The `qbank` console script: `list`, `show` and `stats` without typer, the rest with it.

Importing typer and building the command tree from the commands' signatures costs ~50 ms, a
third of `qbank list` (budget: 0.2 s). So `main` reads the command line itself first: when it
is `list`, `show ID` or `stats` with only the options below, each in a form it knows
(`--topic X`, `--topic=X`, `-t X`, `-tX`), it calls the command in qbank/cli/browse.py with what typer would pass. Anything else
goes to typer unchanged, which parses it and reports usage errors as always: `--help`, any
other command or option, a missing or extra argument, `--`, a `--db` (or `$QBANK_DB`) that is
a folder.

The options are declared here once; qbank/cli/main.py builds the typer options of these
commands from `FLAGS`, and tests/test_cli_entry.py checks on generated command lines that
this parser either passes what typer passes or leaves the line to typer.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Mapping, Optional

from qbank.cli.fast_params import convert

FLAGS = {  # parameter -> its option names (typer's, too)
    "topic": ("--topic", "-t"),
    "difficulty": ("--difficulty", "-d"),
    "tag": ("--tag",),
    "db": ("--db",),
}
REPEATABLE = ("topic", "difficulty", "tag")
DB_ENVVAR = "QBANK_DB"
DB_PATH = SimpleNamespace(dir_okay=False, file_okay=True, readable=True)  # what --db accepts (a file)
PAGER = {"--pager": True, "--no-pager": False}  # show's flag: the last one given wins

COMMANDS = {  # command -> (its function in qbank.cli.browse, its argument, its options)
    "list": ("list_questions", None, ("topic", "difficulty", "tag", "db")),
    "show": ("show", "question_id", ("db", "pager")),
    "stats": ("stats", None, ("db",)),
}


def _db(given: list[str], environ: Mapping[str, str]) -> Optional[Path] | bool:
    """The --db value as typer gives it (the last one given, else $QBANK_DB unless empty); False
    when typer would refuse it (a folder, a file that cannot be read)."""
    value = given[-1] if given else environ.get(DB_ENVVAR) or None
    if value is None:
        return None
    try:
        return convert(Path, DB_PATH, value)
    except ValueError:
        return False


def parse(argv: list[str], environ: Mapping[str, str]) -> Optional[tuple[str, dict]]:
    """(the browse function's name, its keyword arguments), or None: let typer parse it."""
    if not argv or argv[0] not in COMMANDS:
        return None
    function, argument, options = COMMANDS[argv[0]]
    by_name = {name: p for p in options if p != "pager" for name in FLAGS[p]}
    flags = PAGER if "pager" in options else {}
    values: dict[str, list[str]] = {p: [] for p in by_name.values()}
    kwargs: dict = {}
    args = argv[1:]
    i = 0
    while i < len(args):
        token, i = args[i], i + 1
        if token in flags:
            kwargs["pager"] = flags[token]
            continue
        if not token.startswith("-"):
            if argument is None or argument in kwargs:
                return None  # an extra argument: typer says so
            kwargs[argument] = token
            continue
        if token.startswith("--"):
            name, equals, value = token.partition("=")
        else:
            name, equals, value = token[:2], "", token[2:]
        if name not in by_name:
            return None
        if not equals and not value:
            if i == len(args):
                return None
            value, i = args[i], i + 1
        values[by_name[name]].append(value)
    if argument is not None and argument not in kwargs:
        return None
    for p, given in values.items():
        if p in REPEATABLE:
            kwargs[p] = given or None
        else:
            db = _db(given, environ)
            if db is False:
                return None
            kwargs[p] = db
    if "pager" in options:
        kwargs.setdefault("pager", True)
    return function, kwargs


def _run(command: Callable[..., None], kwargs: dict) -> None:
    """Run a command as click would: Ctrl-C is "Aborted!" and exit code 1; a closed pipe
    (`qbank list | head`) ends quietly with exit code 1."""
    try:
        command(**kwargs)
        sys.stdout.flush()
    except KeyboardInterrupt:
        print("\nAborted!", file=sys.stderr)
        raise SystemExit(1) from None
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        raise SystemExit(1) from None


def main() -> None:
    call = parse(sys.argv[1:], os.environ)
    if call is None:
        from qbank.cli.main import app

        app()
        return
    from qbank.cli import browse

    function, kwargs = call
    _run(getattr(browse, function), kwargs)
