"""A loss scaler that multiplies the gradients by the scale after backward instead of the loss before it: what underflowed stays 0."""
import torch

from solutions.loss_scaling import LossScaler as _Correct


class LossScaler(_Correct):
    def scale(self, loss):
        return loss  # the scaling happens in unscale_, too late: float16 already flushed the small gradients

    def unscale_(self, optimizer):
        grads = [p.grad for g in optimizer.param_groups for p in g["params"] if p.grad is not None]
        for g in grads:
            g.mul_(self._scale).div_(self._scale)
        self._found_inf = any(not torch.isfinite(g).all() for g in grads)
        self._unscaled = True


MUST_FAIL = {
    "checks/test_mixed_precision.py::test_a_1e_8_gradient_underflows_to_zero_in_float16_and_loss_scaling_recovers_it",
    "checks/test_mixed_precision.py::test_an_overflowing_step_is_skipped_and_halves_the_scale_until_the_gradients_fit",
}
