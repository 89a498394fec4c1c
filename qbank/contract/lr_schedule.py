"""The contract of the `lr_schedule` component: learning-rate schedules for LambdaLR."""

from dataclasses import replace

from qbank.contract.model import component

_STEPS = '''
    Steps count from 1. `torch.optim.lr_scheduler.LambdaLR(optimizer, f)` calls f(s) with s the
    number of `scheduler.step()` calls made so far, so f(s) sets the learning rate of optimizer
    step t = s + 1: the LR of step t is base_lr * f(t - 1). (Hugging Face's get_*_schedule
    functions draw the same curves one step earlier: their f(0) = 0, so their first step runs at
    LR 0 and the floor comes one step after the last.)'''

COMPONENT = replace(component(
    "lr_schedule", "Learning-rate schedules",
    "Warmup then cosine decay, the original Transformer's inverse-square-root schedule and "
    "warmup-stable-decay, each as the multiplier function that LambdaLR takes.",
    ("warmup_cosine", "function", f'''
def warmup_cosine(warmup: int, total: int, floor: float = 0.0) -> Callable[[int], float]:
    """The multiplier f(s) of a linear warmup followed by half a cosine down to `floor`.
{_STEPS}

    1 <= warmup < total; 0 <= floor < 1 (a fraction of the peak). Step t <= warmup gets
    t / warmup: the first step gets 1 / warmup (not 0) and step `warmup` is the first at the
    peak, 1. Steps warmup..total get
        floor + (1 - floor) * (1 + cos(pi * (t - warmup) / (total - warmup))) / 2,
    which falls monotonically and reaches `floor` exactly at the last step, t = total.
    """
    raise NotImplementedError
'''),
    ("noam", "function", f'''
def noam(d_model: int, warmup: int) -> Callable[[int], float]:
    """The original Transformer's schedule (Vaswani et al. 2017, eq. 3) as f(s): the learning
    rate itself, for an optimizer whose base lr is 1.0.
{_STEPS}

    Step t gets d_model^-0.5 * min(t^-0.5, t * warmup^-1.5): a linear rise that peaks at
    step t = warmup with d_model^-0.5 * warmup^-0.5, then a decay as 1 / sqrt(t).
    """
    raise NotImplementedError
'''),
    ("warmup_stable_decay", "function", f'''
def warmup_stable_decay(warmup: int, stable: int, decay: int) -> Callable[[int], float]:
    """Warmup-stable-decay ("WSD", the trapezoid) as the multiplier f(s).
{_STEPS}

    warmup >= 1, stable >= 0, decay >= 1; the run has total = warmup + stable + decay steps.
    Step t <= warmup gets t / warmup; steps warmup..warmup + stable hold the peak, 1; the last
    `decay` steps fall linearly to 0, reached at the last step, t = total:
        (total - t) / decay   for warmup + stable <= t <= total.
    """
    raise NotImplementedError
'''),
), imports="import math\nfrom collections.abc import Callable\n")
