"""The warmup ramp divides by warmup + 1, so the peak comes one step late, at step warmup + 1."""
import math

from solutions.lr_schedule import noam, warmup_stable_decay  # noqa: F401


def warmup_cosine(warmup, total, floor=0.0):
    def f(s):
        t = s + 1
        if t <= warmup + 1:
            return t / (warmup + 1)
        progress = (t - warmup - 1) / max(1, total - warmup - 1)
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))
    return f


MUST_FAIL = {
    "checks/test_lr_schedule.py::test_warmup_lr_of_step_t_is_t_over_warmup_of_the_peak_which_step_warmup_reaches_first",
    "checks/test_lr_schedule.py::test_cosine_decay_falls_monotonically_after_warmup_and_reaches_the_floor_at_the_last_step",
    "checks/test_lr_schedule.py::test_warmup_cosine_follows_half_a_cosine_from_the_peak_to_the_floor",
}
