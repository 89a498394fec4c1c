"""Dynamic loss scaling: keep small float16 gradients from underflowing to zero.

float16's smallest positive number is 2^-24 (about 6e-8): a gradient below half of that
rounds to 0 in the backward pass. Multiplying the loss by a scale S multiplies every gradient
by S (the chain rule is linear), which lifts them into range; dividing the float32 master
gradients by S before the update gives the true gradients back. Too large an S overflows
(float16's max is 65504) into inf or NaN, so the scale is tuned on the fly:

    inf/NaN in the gradients -> skip this optimizer step, S *= backoff_factor (halve)
    growth_interval good steps in a row -> S *= growth_factor (double)

The rules and method names are torch.amp.GradScaler's. One optimizer per scaler.
"""

import torch
from torch import Tensor


# --8<-- [start:LossScaler]
class LossScaler:
    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000):
        self._scale = init_scale
        self.growth_factor, self.backoff_factor = growth_factor, backoff_factor
        self.growth_interval = growth_interval
        self._good_steps = 0  # consecutive steps without inf/NaN
        # this step so far: has unscale_ run, did it find an inf or a NaN
        self._unscaled = self._found_inf = False

    def scale(self, loss: Tensor) -> Tensor:
        return loss * self._scale

    def unscale_(self, optimizer: torch.optim.Optimizer) -> None:
        grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        for g in grads:
            g.div_(self._scale)  # in place: the optimizer reads .grad
        self._found_inf = any(not torch.isfinite(g).all() for g in grads)
        self._unscaled = True

    def step(self, optimizer: torch.optim.Optimizer) -> None:
        if not self._unscaled:  # divide by the scale once, never twice
            self.unscale_(optimizer)
        if not self._found_inf:
            optimizer.step()  # skipped on inf/NaN: the weights stay as they were

    def update(self) -> None:
        if self._found_inf:
            self._scale *= self.backoff_factor
            self._good_steps = 0
        else:
            self._good_steps += 1
            if self._good_steps == self.growth_interval:
                self._scale *= self.growth_factor
                self._good_steps = 0
        self._unscaled = self._found_inf = False

    def get_scale(self) -> float:
        return self._scale
# --8<-- [end:LossScaler]
