"""The console script's quick path (qbank/cli/entry.py): `list`, `show` and `stats` parsed
without typer must mean exactly what typer makes of the same command line, or be left to it."""

import inspect
import subprocess
import sys

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from qbank.cli import browse, entry
from qbank.cli.main import app
from tests.cli_bank import cli_env, imported_modules, make_bank

FOLDER = "."  # a --db that typer refuses (a folder)

# Mostly well-formed lines of the three commands (so that many take the quick path), among flags of
# the other two, of other commands (quiz's) or of none; each option written in every form click reads
# (`--flag value`, `--flag=value`, `-fvalue`, or its value missing); values that are empty, a folder
# or look like options; stray words and separators.
OTHERS = [flag for flags in entry.FLAGS.values() for flag in flags] + ["-x", "--bogus", "--limit", "-n", "--help"]
PLAIN = ["attention", "easy", "p.sqlite3"]
ODD = [FOLDER, "", "-x", "--tag", "--"]
SWITCHES = ["--pager", "--no-pager", "--pager=1", "--random", "-h"]
WORDS = ["alpha-easy", "attention", "", "-", "--"]


def option(flag, value):
    return st.sampled_from([[flag, value]] * 3 + [[flag]]
                           + ([[f"{flag}={value}"]] if flag.startswith("--") else [[flag + value]]))


@st.composite
def command_lines(draw):
    command = draw(st.sampled_from(list(entry.COMMANDS) * 3 + ["quiz", "--version", "-t"]))
    _, argument, options = entry.COMMANDS.get(command, (None, None, ()))
    ours = [flag for p in options if p != "pager" for flag in entry.FLAGS[p]]
    line = [command]
    if argument and draw(st.integers(0, 5)):
        line.append("alpha-easy")
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["ours"] * 5 + ["others"] * 2 + ["switch", "word"]))
        if kind == "ours" and ours:
            value = draw(st.sampled_from(PLAIN if draw(st.integers(0, 4)) else ODD))
            line += draw(option(draw(st.sampled_from(ours)), value))
        elif kind == "others":
            line += draw(option(draw(st.sampled_from(OTHERS)), draw(st.sampled_from(PLAIN))))
        elif kind == "switch" or kind == "ours":
            line.append(draw(st.sampled_from(SWITCHES if "pager" in options else SWITCHES[2:])))
        else:
            line.insert(draw(st.integers(1, len(line))), draw(st.sampled_from(WORDS)))
    return line


ENVIRONMENTS = [None, None, "", "env.sqlite3", FOLDER]


def through_typer(argv, db_env):
    """(the browse function typer called, its arguments by name), or None if typer called none
    (a usage error, --help)."""
    calls = []

    def recorder(name):
        real = getattr(browse, name)
        return lambda *a, **k: calls.append((name, dict(inspect.signature(real).bind(*a, **k).arguments)))

    saved = {name: getattr(browse, name) for name, _, _ in entry.COMMANDS.values()}
    try:
        for name in saved:
            setattr(browse, name, recorder(name))
        result = CliRunner().invoke(app, argv, env={entry.DB_ENVVAR: db_env})
    finally:
        for name, function in saved.items():
            setattr(browse, name, function)
    assert result.exit_code in (0, 2), result.output  # called, or a usage error / --help
    return calls[0] if calls else None


@settings(max_examples=300, deadline=None, derandomize=True, database=None)  # the same 300 lines every run
@given(argv=command_lines(), db_env=st.sampled_from(ENVIRONMENTS))
def test_the_quick_path_passes_what_typer_passes_or_leaves_the_command_line_to_typer(argv, db_env):
    quick = entry.parse(argv, {} if db_env is None else {entry.DB_ENVVAR: db_env})
    event("quick path" if quick else "left to typer")
    if quick is not None:
        assert quick == through_typer(argv, db_env), argv


@pytest.mark.parametrize("argv", [
    ["list"], ["list", "-t", "attention", "--difficulty=easy", "--tag", "softmax", "-dhard", "--db", "p.sqlite3"],
    ["show", "alpha-easy"], ["show", "--no-pager", "alpha-easy", "--db=p.sqlite3"], ["stats"], ["stats", "--db", "x"],
])
def test_the_everyday_command_lines_take_the_quick_path(argv):
    quick = entry.parse(argv, {})
    assert quick is not None and quick == through_typer(argv, None), argv


@pytest.mark.parametrize("argv", [
    ["list", "--help"], ["show"], ["show", "a", "b"], ["stats", "--db"], ["stats", "--db", FOLDER], ["list", "--pager"],
    ["list", "-x", "easy"], ["list", "-n", "3"], ["stats", "--topic", "attention"], ["show", "a", "--tag", "x"],
    ["list", "--", "x"], ["quiz"], ["--help"], ["--version"], [],
])
def test_help_usage_errors_and_other_commands_are_left_to_typer(argv):
    assert entry.parse(argv, {}) is None
    assert through_typer(argv, None) is None


def test_list_show_and_stats_run_without_importing_typer_and_the_rest_with_it(tmp_path):
    bank = make_bank(tmp_path / "bank")
    for args, typer_expected in ((["list"], False), (["show", "alpha-easy", "--no-pager"], False),
                                 (["stats"], False), (["list", "--help"], True), (["show", "nope"], False),
                                 (["list", "--difficulty", "impossible"], False), (["stats", "--db", "."], True)):
        proc, modules = imported_modules(args, bank, cli_env(tmp_path))
        assert ("typer" in modules) == typer_expected, (args, proc.stderr[-500:])
        assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
        if args == ["show", "nope"]:  # an error of the command itself: the same message and code as under typer
            assert proc.returncode == 2 and "qbank: error: unknown question id 'nope'" in proc.stderr
        elif args[-1] == "impossible":
            assert proc.returncode == 2 and "qbank: error:" in proc.stderr and "impossible" in proc.stderr
        elif args[-1] == ".":
            assert proc.returncode == 2 and "is a directory" in proc.stderr
        else:
            assert proc.returncode == 0, proc.stderr[-2000:]


def test_a_closed_pipe_ends_the_listing_quietly_as_under_typer(tmp_path):
    """`qbank list | head -1`: the reader goes away; exit code 1, no traceback (click's way)."""
    bank = make_bank(tmp_path / "bank")
    env = cli_env(tmp_path, COLUMNS="80")
    code = ("import sys; sys.argv = ['qbank', 'list']; import qbank.cli.views as v; original = v.question_table\n"
            "def many(out, entries, due, progress=True):\n"
            "    for _ in range(5000): original(out, entries, due, progress)\n"
            "v.question_table = many\n"
            "from qbank.cli.entry import main; main()")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=bank, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()  # like head -1 exiting
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1 and err == "", err
