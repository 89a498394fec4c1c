"""Closed forms of the learning-rate schedules, as functions of the 1-based optimizer step t.

The oracle the schedule checks compare `impl` with: written from the formulas (the cosine in
its cos^2 form), not from the reference solution. Each returns the multiplier of base_lr.
"""

import math


def warmup_cosine_at(t: int, warmup: int, total: int, floor: float) -> float:
    """t/warmup up to the peak; then floor + (1 - floor) cos^2(pi/2 * fraction of the decay done)."""
    if t <= warmup:
        return t / warmup
    done = (t - warmup) / (total - warmup)
    return floor + (1 - floor) * math.cos(math.pi / 2 * done) ** 2


def noam_at(t: int, d_model: int, warmup: int) -> float:
    """Vaswani et al. (2017), eq. 3: d^-0.5 min(t^-0.5, t warmup^-1.5)."""
    return min(1 / math.sqrt(d_model * t), t / math.sqrt(d_model * warmup ** 3))


def warmup_stable_decay_at(t: int, warmup: int, stable: int, decay: int) -> float:
    """The trapezoid: up by 1/warmup a step, flat at 1, down by 1/decay a step to 0 at the end."""
    if t <= warmup:
        return t / warmup
    if t <= warmup + stable:
        return 1.0
    return 1.0 - (t - warmup - stable) / decay
