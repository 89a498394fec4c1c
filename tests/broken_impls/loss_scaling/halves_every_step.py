"""A loss scaler that halves the scale after every step, overflow or not."""
from solutions.loss_scaling import LossScaler as _Correct


class LossScaler(_Correct):
    def update(self):
        self._scale *= self.backoff_factor  # meant to be only when an inf/NaN was found
        self._unscaled = self._found_inf = False


MUST_FAIL = {
    "checks/test_mixed_precision.py::test_an_overflowing_step_is_skipped_and_halves_the_scale_until_the_gradients_fit",
    "checks/test_mixed_precision.py::test_the_scale_grows_after_growth_interval_good_steps_in_a_row_and_an_overflow_restarts_the_count",
    "checks/test_mixed_precision.py::test_loss_scaler_matches_torch_grad_scaler_step_for_step",
}
