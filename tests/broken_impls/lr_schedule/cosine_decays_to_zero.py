"""The cosine ignores the floor and decays all the way to 0."""
import math

from solutions.lr_schedule import noam, warmup_stable_decay  # noqa: F401


def warmup_cosine(warmup, total, floor=0.0):
    def f(s):
        t = s + 1
        if t <= warmup:
            return t / warmup
        return 0.5 * (1 + math.cos(math.pi * (t - warmup) / (total - warmup)))
    return f


MUST_FAIL = {
    "checks/test_lr_schedule.py::test_cosine_decay_falls_monotonically_after_warmup_and_reaches_the_floor_at_the_last_step",
    "checks/test_lr_schedule.py::test_warmup_cosine_follows_half_a_cosine_from_the_peak_to_the_floor",
}
