"""Hugging Face transformers' learning-rate schedules, exposed through the `lr_schedule` contract.

For tests only (tests/test_adapter_hf_schedules.py): `pytest checks/test_lr_schedule.py
--impl qbank.adapters.hf_schedules` grades transformers' own schedules with the bank's checks.
The checks and the CLI never import transformers.

Each function builds transformers' scheduler on a throwaway optimizer and hands back its
multiplier function (`LambdaLR.lr_lambdas[0]`). The only conversion is the documented step
convention: transformers call the step about to be taken step 0 (their f(0) = 0, a first step
at LR 0), the contract calls it step 1 (f(s) is the multiplier of step t = s + 1). Their curve
is the contract's shifted by one step, so every function here evaluates theirs at s + 1.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from transformers import (get_cosine_schedule_with_warmup, get_cosine_with_min_lr_schedule_with_warmup,
                          get_inverse_sqrt_schedule, get_wsd_schedule)


def _optimizer() -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)


def _one_step_later(f: Callable[[int], float], scale: float = 1.0) -> Callable[[int], float]:
    return lambda s: scale * f(s + 1)


def warmup_cosine(warmup: int, total: int, floor: float = 0.0) -> Callable[[int], float]:
    if floor == 0:
        sched = get_cosine_schedule_with_warmup(_optimizer(), num_warmup_steps=warmup, num_training_steps=total)
    else:
        sched = get_cosine_with_min_lr_schedule_with_warmup(_optimizer(), num_warmup_steps=warmup,
                                                            num_training_steps=total, min_lr_rate=floor)
    return _one_step_later(sched.lr_lambdas[0])


def noam(d_model: int, warmup: int) -> Callable[[int], float]:
    # transformers' inverse-sqrt schedule is t/warmup, then sqrt(warmup/t): Noam's curve divided by
    # its peak d_model^-0.5 * warmup^-0.5, which the contract's f returns as the rate itself
    sched = get_inverse_sqrt_schedule(_optimizer(), num_warmup_steps=warmup)
    return _one_step_later(sched.lr_lambdas[0], scale=d_model ** -0.5 * warmup ** -0.5)


def warmup_stable_decay(warmup: int, stable: int, decay: int) -> Callable[[int], float]:
    sched = get_wsd_schedule(_optimizer(), num_warmup_steps=warmup, num_stable_steps=stable,
                             num_decay_steps=decay, warmup_type="linear", decay_type="linear")
    return _one_step_later(sched.lr_lambdas[0])
