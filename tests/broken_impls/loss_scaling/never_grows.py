"""A loss scaler that only ever backs off: after an overflow the scale never grows back."""
from solutions.loss_scaling import LossScaler as _Correct


class LossScaler(_Correct):
    def update(self):
        if self._found_inf:
            self._scale *= self.backoff_factor
        self._unscaled = self._found_inf = False


MUST_FAIL = {
    "checks/test_mixed_precision.py::test_the_scale_grows_after_growth_interval_good_steps_in_a_row_and_an_overflow_restarts_the_count",
    "checks/test_mixed_precision.py::test_loss_scaler_matches_torch_grad_scaler_step_for_step",
}
