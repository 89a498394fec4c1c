"""A loss scaler whose step() always unscales, so gradients already unscaled (for clipping) are divided twice."""
from solutions.loss_scaling import LossScaler as _Correct


class LossScaler(_Correct):
    def step(self, optimizer):
        self.unscale_(optimizer)  # even if unscale_ already ran this step
        if not self._found_inf:
            optimizer.step()


MUST_FAIL = {
    "checks/test_mixed_precision.py::test_gradients_are_unscaled_exactly_once_when_unscale_is_called_before_step",
    "checks/test_mixed_precision.py::test_loss_scaler_matches_torch_grad_scaler_step_for_step",
}
