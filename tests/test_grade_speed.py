"""What `qbank grade` and `qbank verify` rest on for their time budgets (scripts/bench.py
measures the times themselves; a timing assertion would flake on a shared machine):

- the contract names each check reads are remembered per check file (qbank.cli.catalog_cache),
  and a file is read again as soon as it changes;
- counting FLOPs (FlopCounterMode, whose dispatch torch marks "never compile") does not load
  torch._dynamo, the compiler (~1.6 s), while a function so marked still goes through
  torch._dynamo.disable once something has loaded it (checks/conftest.py).
"""

import textwrap
from pathlib import Path

from qbank.bank import checks as bank_checks
from qbank.bank.checks import check_functions
from qbank.cli.catalog_cache import check_reads
from tests.pytest_fork import run_python

ROOT = Path(__file__).resolve().parents[1]


def test_check_reads_are_those_of_the_syntax_trees_and_remembered_until_a_file_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("QBANK_CACHE", str(tmp_path / "cache"))
    assert check_reads(ROOT) == check_functions(ROOT)  # the real bank, read and remembered

    bank = tmp_path / "bank"
    (bank / "checks").mkdir(parents=True)
    (bank / "checks" / "conftest.py").write_text("def helper(impl):\n    return impl.causal_mask\n")
    check = bank / "checks" / "test_x.py"
    check.write_text("def test_a(impl):\n    impl.attention_weights\n")
    first = check_reads(bank)
    assert first == {"checks/test_x.py::test_a": {"attention_weights"}}

    read = []
    original = bank_checks.file_functions
    monkeypatch.setattr(bank_checks, "file_functions", lambda path: read.append(path.name) or original(path))
    assert check_reads(bank) == first and read == []  # unchanged files: nothing read again

    check.write_text("def test_a(impl):\n    helper(impl)\n\n\ndef test_b():\n    pass\n")
    assert check_reads(bank) == {"checks/test_x.py::test_a": {"causal_mask"}, "checks/test_x.py::test_b": set()}
    assert read == ["test_x.py"]  # only the file that changed


DYNAMO_PROBE = textwrap.dedent("""
    import sys
    import torch
    import checks.conftest as conftest
    from torch.utils.flop_counter import FlopCounterMode

    conftest._defer_dynamo_import()
    x = torch.randn(1, 8, 4, dtype=torch.float64)
    with FlopCounterMode(display=False) as counter:
        torch.nn.functional.scaled_dot_product_attention(x, x, x)
    print(counter.get_total_flops(), "torch._dynamo" in sys.modules)

    import torch._dynamo  # something that compiles loads it: the marked function is disabled as torch does it
    with FlopCounterMode(display=False) as counter:
        torch.nn.functional.scaled_dot_product_attention(x, x, x)
    from torch.utils.flop_counter import _FlopCounterMode

    fn = _FlopCounterMode.__dict__["__torch_dispatch__"].__wrapped__
    print(counter.get_total_flops(), getattr(fn, "__dynamo_disable").__module__)
""")


def test_a_flop_count_does_not_load_the_compiler_and_disables_it_once_loaded():
    proc = run_python(DYNAMO_PROBE, cwd=ROOT, timeout=120)  # a fresh process that has imported torch only
    assert proc.returncode == 0, proc.stderr[-2000:]
    before, after = (line.split() for line in proc.stdout.strip().splitlines())
    # 2 FLOPs per multiply-add, two matmuls of [8, 4] x [4, 8] and [8, 8] x [8, 4]: 4 * 8 * 8 * 4
    assert before == [str(4 * 8 * 8 * 4), "False"], f"flops, torch._dynamo loaded: {before}"
    assert after[0] == before[0]
    assert after[1].startswith("torch._dynamo"), f"after loading dynamo the dispatch is not disabled by it: {after}"
