"""The cosine is stretched over all `total` steps instead of the steps after warmup, so it ends above the floor."""
import math

from solutions.lr_schedule import noam, warmup_stable_decay  # noqa: F401


def warmup_cosine(warmup, total, floor=0.0):
    def f(s):
        t = s + 1
        if t <= warmup:
            return t / warmup
        progress = (t - warmup) / total  # should be / (total - warmup)
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))
    return f


MUST_FAIL = {
    "checks/test_lr_schedule.py::test_cosine_decay_falls_monotonically_after_warmup_and_reaches_the_floor_at_the_last_step",
    "checks/test_lr_schedule.py::test_warmup_cosine_follows_half_a_cosine_from_the_peak_to_the_floor",
}
