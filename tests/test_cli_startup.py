"""Start-up: the CLI never imports torch (or numpy) outside `verify` and `grade`, which run
the checks in a subprocess, nor pydantic outside `validate`. Wall-clock start-up is measured by hand (see cli-readme.md):
a timing assertion would flake on a shared machine; the imports are what we control."""

from pathlib import Path

import pytest

from tests.cli_bank import cli_env, imported_modules, make_bank

@pytest.mark.parametrize("args", [["--help"], ["--version"], ["list"], ["show", "alpha-easy"], ["quiz", "--limit", "1"],
                                  ["stats"], ["practice", "attention", "-o", "starter.py"]])
def test_no_torch_is_imported(tmp_path, args):
    bank = make_bank(tmp_path / "bank")
    env = cli_env(tmp_path)
    proc, modules = imported_modules(args, bank, env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(modules) > 50, "importtime output not parsed"
    heavy = sorted(m for m in modules if m.split(".")[0] in ("torch", "numpy", "hypothesis", "pytest", "matplotlib"))
    assert heavy == [], heavy
    # nor pydantic (~100 ms): not for the schema (qbank.bank.catalog reads the bank without it),
    # nor for typer's parameter conversion (qbank.cli.fast_params)
    assert sorted(m for m in modules if m.startswith(("pydantic", "qbank.bank.schema"))) == []


def test_the_listings_start_without_rich_yaml_or_markdown_once_the_bank_was_read(tmp_path):
    """What start-up budgets rest on: `list`, `stats` and `show` print without rich (its console
    ~40 ms, its Markdown with markdown-it and pygments ~60 ms more: qbank/cli/layout.py lays the
    answers out instead); once the questions are remembered (qbank.cli.catalog_cache), no
    command reads YAML (~20 ms)."""
    bank = make_bank(tmp_path / "bank")
    env = cli_env(tmp_path)
    _, first = imported_modules(["show", "alpha-easy"], bank, env)
    assert "yaml" in first  # the first run reads the files and the seed index (and remembers them)
    for args, absent in ((["list"], ("rich", "yaml", "platformdirs")), (["stats"], ("rich", "yaml")),
                         (["show", "alpha-easy"], ("rich", "yaml", "markdown_it", "pygments")),
                         (["quiz", "--limit", "1"], ("yaml", "markdown_it", "fsrs.optimizer"))):
        proc, modules = imported_modules(args, bank, env, stdin="q\n")
        assert proc.returncode == 0, proc.stderr[-2000:]
        found = sorted(m for m in modules if m.split(".")[0] in absent or m in absent)
        assert found == [], (args, found)


def test_plain_parameters_convert_like_typer_without_pydantic():
    from typing import get_args

    import typer._adapters
    from typer.models import OptionInfo

    from qbank.cli.fast_params import convert, install, plain

    assert install()  # the typer internals it relies on are there
    cases = [(str, {}, "abc"), (int, {"min": 1}, "20"), (bool, {}, "true"), (bool, {}, "0"),
             (Path, {"dir_okay": False}, "some/file.txt"), (list[str], {}, ("a", "b"))]
    for annotation, flags, value in cases:
        info = OptionInfo(**flags)
        assert plain(annotation, info)
        theirs = typer._adapters.try_build_adapter(annotation, info).validate_python(value)
        assert convert(annotation, info, value) == theirs, (annotation, value)
    assert not plain(float, OptionInfo()) and not plain(list[int], OptionInfo())
    assert get_args(list[str]) == (str,)


@pytest.mark.parametrize("args, message", [
    (["quiz", "--limit", "0"], "Invalid value for '--limit' / '-n': 0 is not in the range x>=1."),
    (["quiz", "--limit", "many"], "'many' is not a valid integer."),
    (["stats", "--db", "."], "is a directory."),
])
def test_bad_parameter_values_are_usage_errors(tmp_path, monkeypatch, args, message):
    from typer.testing import CliRunner

    from qbank.cli.main import app

    monkeypatch.chdir(make_bank(tmp_path))
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and message in result.stderr
