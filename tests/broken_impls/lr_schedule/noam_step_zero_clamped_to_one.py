"""Noam fed LambdaLR's step with max(step, 1) to dodge 0^-0.5: steps 1 and 2 share a rate and the peak is one step late."""
from solutions.lr_schedule import warmup_cosine, warmup_stable_decay  # noqa: F401


def noam(d_model, warmup):
    def f(step):
        step = max(step, 1)  # LambdaLR starts at 0
        return d_model ** -0.5 * min(step ** -0.5, step * warmup ** -1.5)
    return f


MUST_FAIL = {
    "checks/test_lr_schedule.py::test_noam_peaks_at_step_warmup_with_lr_d_to_the_minus_half_times_warmup_to_the_minus_half",
    "checks/test_lr_schedule.py::test_noam_rises_in_proportion_to_the_step_then_decays_as_one_over_its_square_root",
    "checks/test_lr_schedule.py::test_the_paper_schedule_peaks_at_step_4000_near_7e_4_and_has_halved_by_step_16000",
}
