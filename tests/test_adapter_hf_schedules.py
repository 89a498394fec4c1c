"""Hugging Face transformers' learning-rate schedules pass the bank's schedule checks.

`qbank.adapters.hf_schedules` exposes transformers' get_cosine_schedule_with_warmup (and its
min-lr variant), get_inverse_sqrt_schedule and get_wsd_schedule through the `lr_schedule`
contract. A check that failed here would reject a correct, widely used implementation, so
it would be the check that is wrong. The adapter shifts transformers' curves by one step (the
contract's documented step convention); the last test shows that shift is needed and is all
there is to it.
"""

import math
from pathlib import Path

from tests.proof_runs import LIBRARIES, requires, run_library

ROOT = Path(__file__).resolve().parents[1]
(CHECKS,) = LIBRARIES["hf-schedules"].files

pytestmark = requires("transformers")


def test_transformers_schedules_pass_every_schedule_check(tmp_path):
    run = run_library("hf-schedules", tmp_path / "report.json")
    assert run["returncode"] == 0, run["stdout"][-3000:]
    checks = run["checks"]
    from qbank.bank.checks import check_functions

    graded = {node for node, names in check_functions(ROOT).items()
              if node.startswith(CHECKS) and names & {"warmup_cosine", "noam", "warmup_stable_decay"}}
    assert len(graded) >= 6
    not_passed = {node: checks.get(node, {}).get("outcome", "not run") for node in graded
                  if checks.get(node, {}).get("outcome") != "passed"}
    assert not not_passed, not_passed


def test_transformers_count_the_first_step_as_step_zero_and_the_adapter_shifts_by_exactly_one():
    import torch
    from transformers import get_cosine_schedule_with_warmup

    from qbank.adapters import hf_schedules
    from solutions import lr_schedule

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    raw = get_cosine_schedule_with_warmup(opt, num_warmup_steps=4, num_training_steps=10).lr_lambdas[0]
    assert raw(0) == 0.0                        # their first optimizer step would run at LR 0
    assert raw(10) == 0.0 and raw(9) > 0        # and their floor comes one step after the last
    adapted, ours = hf_schedules.warmup_cosine(4, 10), lr_schedule.warmup_cosine(4, 10)
    for s in range(10):
        assert math.isclose(adapted(s), raw(s + 1)) and math.isclose(adapted(s), ours(s), abs_tol=1e-15)
