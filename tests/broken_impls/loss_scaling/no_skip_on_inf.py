"""A loss scaler that halves the scale on inf/NaN but still lets the optimizer step on those gradients."""
import torch

from solutions.loss_scaling import LossScaler as _Correct


class LossScaler(_Correct):
    def step(self, optimizer):
        if not self._unscaled:
            self.unscale_(optimizer)
        optimizer.step()  # forgot: skip when an inf or a NaN was found


MUST_FAIL = {
    "checks/test_mixed_precision.py::test_an_overflowing_step_is_skipped_and_halves_the_scale_until_the_gradients_fit",
    "checks/test_mixed_precision.py::test_loss_scaler_matches_torch_grad_scaler_step_for_step",
}
