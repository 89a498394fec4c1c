"""WSD whose decay starts after `stable` steps counted from step 0, forgetting the warmup: it hits 0 too early."""
from solutions.lr_schedule import noam, warmup_cosine  # noqa: F401


def warmup_stable_decay(warmup, stable, decay):
    def f(s):
        t = s + 1
        if t <= warmup:
            return t / warmup
        if t <= stable:
            return 1.0
        return max(0.0, 1 - (t - stable) / decay)
    return f


MUST_FAIL = {
    "checks/test_lr_schedule.py::test_warmup_stable_decay_holds_the_peak_then_falls_linearly_to_zero_at_the_last_step",
}
