"""Learning-rate schedules as the multiplier functions `torch.optim.lr_scheduler.LambdaLR` takes.

    scheduler = LambdaLR(optimizer, warmup_cosine(warmup=100, total=10_000, floor=0.1))
    for batch in data:
        loss(batch).backward(); optimizer.step(); scheduler.step(); optimizer.zero_grad()

LambdaLR calls f(s) with s = the number of scheduler.step() calls so far, and sets
lr = base_lr * f(s) for the next optimizer step. Steps count from 1, so optimizer step
t = s + 1 runs at base_lr * f(t - 1): the first step gets 1/warmup of the peak (not 0), step
`warmup` is the first at the peak, and a decay reaches its floor at the last step, t = total.

    warmup + cosine:  t/w  for t <= w;  floor + (1 - floor)(1 + cos(pi (t - w)/(total - w)))/2
    Noam (eq. 3 of Vaswani et al. 2017):  d^-0.5 min(t^-0.5, t w^-1.5)   (the LR itself)
    warmup-stable-decay:  t/w;  then 1 for `stable` steps;  then linear to 0 at t = total,
                          i.e. min(t/w, 1, (total - t)/decay)
"""

import math
from collections.abc import Callable


# --8<-- [start:warmup_cosine]
def warmup_cosine(warmup: int, total: int, floor: float = 0.0) -> Callable[[int], float]:
    """Linear warmup to the peak at step `warmup`, then half a cosine to `floor` at step `total`."""
    def f(s: int) -> float:
        t = s + 1  # the optimizer step this multiplier is for
        if t <= warmup:
            return t / warmup
        progress = (t - warmup) / (total - warmup)  # 0 at the peak, 1 at the last step
        return floor + (1 - floor) * (1 + math.cos(math.pi * progress)) / 2
    return f
# --8<-- [end:warmup_cosine]


# --8<-- [start:noam]
def noam(d_model: int, warmup: int) -> Callable[[int], float]:
    """The learning rate of step t = s + 1: d^-0.5 min(t^-0.5, t w^-1.5) (use base lr 1.0)."""
    def f(s: int) -> float:
        t = s + 1
        return d_model ** -0.5 * min(t ** -0.5, t * warmup ** -1.5)  # the two cross at t = warmup
    return f
# --8<-- [end:noam]


# --8<-- [start:warmup_stable_decay]
def warmup_stable_decay(warmup: int, stable: int, decay: int) -> Callable[[int], float]:
    """t/warmup, then the peak for `stable` steps, then linear to 0 over the last `decay` steps."""
    total = warmup + stable + decay

    def f(s: int) -> float:
        t = s + 1  # the lowest of three lines: the warmup ramp, the peak, the decay ramp to 0 at t = total
        return min(t / warmup, 1.0, max(0, total - t) / decay)
    return f
# --8<-- [end:warmup_stable_decay]
