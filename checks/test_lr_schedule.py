"""Learning-rate schedules (questions/training/learning-rate-schedules.yaml and
training-techniques.yaml): linear warmup then cosine decay to a floor, the original
Transformer's schedule (Noam), and warmup-stable-decay.

Every check drives a real optimizer (SGD) under a real `torch.optim.lr_scheduler.LambdaLR`
built from the implementation's multiplier function and reads the learning rate each
`optimizer.step()` actually used (`param_groups[0]["lr"]`, recorded by a step pre-hook).
Steps count from 1, as in the contract: step t runs at base_lr * f(t - 1).
Oracle: checks/oracles/lr_schedule.py (the closed forms). Transformers' own schedules are
graded by these same checks in tests/test_adapter_hf_schedules.py.
"""

import math

import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.optim.lr_scheduler import LambdaLR
from torch.testing import assert_close

from checks.oracles.lr_schedule import noam_at, warmup_cosine_at, warmup_stable_decay_at

warmups = st.integers(1, 12)
lengths = st.integers(1, 20)          # steps after the warmup
floors = st.sampled_from([0.0, 0.1, 0.25])
base_lrs = st.sampled_from([1.0, 3e-4])


def lrs_used(f, steps: int, base_lr: float = 1.0) -> list[float]:
    """Run `steps` SGD steps under LambdaLR(f): the LR of optimizer step 1, 2, ..., as the
    optimizer read it from param_groups[0]["lr"] when it stepped."""
    w = nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([w], lr=base_lr, foreach=False)
    sched = LambdaLR(opt, f)
    used: list[float] = []
    opt.register_step_pre_hook(lambda o, args, kwargs: used.append(o.param_groups[0]["lr"]))
    for _ in range(steps):
        w.grad = torch.ones_like(w)  # gradient 1: each step moves w by exactly its LR
        opt.step()
        sched.step()
    assert_close(w.item(), -math.fsum(used), msg="SGD did not move the weight by the LRs it read")
    return used


def lr_at_step(f, t: int, base_lr: float = 1.0) -> float:
    """The LR optimizer step t uses when LambdaLR resumes a run after t - 1 steps
    (`last_epoch=t - 2`; its constructor takes one scheduler step), read as in `lrs_used`."""
    w = nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([w], lr=base_lr, foreach=False)
    opt.param_groups[0]["initial_lr"] = base_lr
    LambdaLR(opt, f, last_epoch=t - 2)
    used: list[float] = []
    opt.register_step_pre_hook(lambda o, args, kwargs: used.append(o.param_groups[0]["lr"]))
    w.grad = torch.ones_like(w)
    opt.step()
    return used[0]


def _fmt(xs) -> str:
    return "[" + ", ".join(f"{x:.4g}" for x in xs) + "]"


# ---------------------------------------------------------------- warmup + cosine


@given(warmups, lengths, floors, base_lrs)
def test_warmup_lr_of_step_t_is_t_over_warmup_of_the_peak_which_step_warmup_reaches_first(impl, warmup, after, floor, base):
    used = lrs_used(impl.warmup_cosine(warmup, warmup + after, floor), warmup + after, base)
    expected = [base * t / warmup for t in range(1, warmup + 1)]
    assert_close(used[:warmup], expected, rtol=1e-12, atol=0, msg=lambda m: (
        f"steps 1..{warmup} ran at {_fmt(used[:warmup])}, expected base*t/warmup = {_fmt(expected)}: "
        f"LambdaLR calls f(0) for step 1, which gets base/warmup (not 0); step warmup gets the peak"))
    peak = max(range(len(used)), key=used.__getitem__) + 1
    assert peak == warmup and used[warmup] < used[warmup - 1], (
        f"the LR peaks at step {peak} ({_fmt(used)}); expected step warmup = {warmup}, after which it falls")


@given(warmups, lengths, floors, base_lrs)
def test_cosine_decay_falls_monotonically_after_warmup_and_reaches_the_floor_at_the_last_step(impl, warmup, after, floor, base):
    total = warmup + after
    f = impl.warmup_cosine(warmup, total, floor) if floor else impl.warmup_cosine(warmup, total)  # floor 0: the default
    used = lrs_used(f, total, base)
    decay = used[warmup - 1:]  # steps warmup .. total
    assert all(a > b for a, b in zip(decay, decay[1:])), (
        f"after the peak the LR should fall at every step; steps {warmup}..{total} ran at {_fmt(decay)}")
    assert_close(used[-1], floor * base, rtol=1e-9, atol=1e-15, msg=lambda m: (
        f"the last step (t = total = {total}) ran at {used[-1]:.6g}; expected the floor, "
        f"floor * base = {floor * base:.6g} (the schedule ends there, not one step later nor above it)"))


@given(warmups, lengths, floors, base_lrs)
def test_warmup_cosine_follows_half_a_cosine_from_the_peak_to_the_floor(impl, warmup, after, floor, base):
    total = warmup + after
    used = lrs_used(impl.warmup_cosine(warmup, total, floor), total, base)
    expected = [base * warmup_cosine_at(t, warmup, total, floor) for t in range(1, total + 1)]
    assert_close(used, expected, rtol=1e-9, atol=1e-15, msg=lambda m: (
        f"steps 1..{total} ran at {_fmt(used)}; the closed form gives {_fmt(expected)}"))


# ---------------------------------------------------------------- the original Transformer's (Noam)


@given(st.sampled_from([4, 64, 512, 1024]), st.integers(1, 16))
def test_noam_peaks_at_step_warmup_with_lr_d_to_the_minus_half_times_warmup_to_the_minus_half(impl, d_model, warmup):
    used = lrs_used(impl.noam(d_model, warmup), 3 * warmup + 2)
    peak = max(range(len(used)), key=used.__getitem__) + 1
    assert peak == warmup, f"the LR peaks at step {peak}, expected step warmup = {warmup}: {_fmt(used)}"
    assert_close(used[warmup - 1], d_model ** -0.5 * warmup ** -0.5, rtol=1e-12, atol=0)


@given(st.sampled_from([4, 64, 512]), st.integers(1, 12))
def test_noam_rises_in_proportion_to_the_step_then_decays_as_one_over_its_square_root(impl, d_model, warmup):
    steps = 4 * warmup
    used = lrs_used(impl.noam(d_model, warmup), steps)
    slope = [used[t - 1] / t for t in range(1, warmup + 1)]        # lr(t) / t: constant while rising
    assert_close(slope, [slope[0]] * warmup, rtol=1e-12, atol=0, msg=lambda m: f"lr(t)/t for t <= warmup: {_fmt(slope)}")
    root = [used[t - 1] * math.sqrt(t) for t in range(warmup, steps + 1)]  # lr(t) sqrt(t): constant after
    assert_close(root, [root[0]] * len(root), rtol=1e-12, atol=0, msg=lambda m: f"lr(t)*sqrt(t) for t >= warmup: {_fmt(root)}")
    expected = [noam_at(t, d_model, warmup) for t in range(1, steps + 1)]
    assert_close(used, expected, rtol=1e-12, atol=0)


def test_the_paper_schedule_peaks_at_step_4000_near_7e_4_and_has_halved_by_step_16000(impl):
    f = impl.noam(512, 4000)                                       # d_model = 512, warmup = 4000
    lr = {t: lr_at_step(f, t) for t in (1, 1000, 2000, 3999, 4000, 4001, 16_000)}
    assert lr[3999] < lr[4000] > lr[4001], f"steps 3999, 4000, 4001 ran at {lr[3999]}, {lr[4000]}, {lr[4001]}"
    assert_close(lr[4000], 512 ** -0.5 * 4000 ** -0.5, rtol=1e-12, atol=0)   # 6.99e-4
    assert_close(lr[2000], 2 * lr[1000], rtol=1e-12, atol=0)                  # linear ramp
    assert_close(lr[1], lr[1000] / 1000, rtol=1e-12, atol=0)                  # ... from step 1
    assert_close(lr[16_000], lr[4000] / 2, rtol=1e-12, atol=0)                # 4x the steps, half the rate


def test_the_seed_inverse_sqrt_formula_is_flat_during_warmup():
    """Item 003-22's lr0 / sqrt(max(step, warmup)), driven through LambdaLR: no ramp at all."""
    warmup = 8
    used = lrs_used(lambda s: 1 / math.sqrt(max(s + 1, warmup)), 3 * warmup)
    assert len(set(used[:warmup])) == 1, f"steps 1..{warmup} ran at {_fmt(used[:warmup])}"
    assert used[0] == max(used)                                     # the first step is already the peak
    assert all(a > b for a, b in zip(used[warmup - 1:], used[warmup:]))  # then it only decays


# ---------------------------------------------------------------- warmup-stable-decay


@given(warmups, st.integers(0, 10), st.integers(1, 12), base_lrs)
def test_warmup_stable_decay_holds_the_peak_then_falls_linearly_to_zero_at_the_last_step(impl, warmup, stable, decay, base):
    total = warmup + stable + decay
    used = lrs_used(impl.warmup_stable_decay(warmup, stable, decay), total, base)
    flat = used[warmup - 1: warmup + stable]                       # steps warmup .. warmup + stable
    assert flat == [base] * (stable + 1), (
        f"steps {warmup}..{warmup + stable} should all run at the peak {base}; they ran at {_fmt(flat)}")
    drops = [a - b for a, b in zip(used[warmup + stable - 1:], used[warmup + stable:])]
    assert_close(drops, [base / decay] * decay, rtol=1e-9, atol=1e-15, msg=lambda m: (
        f"each of the last {decay} steps should lower the LR by base/decay = {base / decay:.4g}; "
        f"the drops were {_fmt(drops)}"))
    assert_close(used[-1], 0.0, rtol=0, atol=1e-15, msg=lambda m: f"the last step ran at {used[-1]:.4g}, expected 0")
    expected = [base * warmup_stable_decay_at(t, warmup, stable, decay) for t in range(1, total + 1)]
    assert_close(used, expected, rtol=1e-9, atol=1e-15)


def test_clamping_lambdalrs_step_to_1_in_noams_formula_repeats_the_first_rate_and_peaks_one_step_late():
    """The Annotated Transformer's `rate(max(step, 1))`: LambdaLR passes 0 for the first step."""
    warmup = 6
    used = lrs_used(lambda s: min(max(s, 1) ** -0.5, max(s, 1) * warmup ** -1.5), 3 * warmup)
    assert used[0] == used[1], f"steps 1 and 2 ran at {used[0]} and {used[1]}"
    peak = max(range(len(used)), key=used.__getitem__) + 1
    assert peak == warmup + 1, f"peak at step {peak}, expected warmup + 1 = {warmup + 1}"
