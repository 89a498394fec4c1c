"""LoRA whose merged weight adds B A without the alpha / r factor the forward pass uses."""

import torch
from torch import nn

from solutions.lora import LoRALinear as _Correct


class LoRALinear(_Correct):
    def merged(self):
        out = nn.Linear(self.base.in_features, self.base.out_features, dtype=self.base.weight.dtype)
        with torch.no_grad():
            out.weight.copy_(self.base.weight + self.B @ self.A)  # scale forgotten
            out.bias.copy_(self.base.bias)
        return out


MUST_FAIL = {
    "checks/test_lora.py::test_the_merged_layer_is_an_nn_linear_with_the_same_outputs_as_the_adapted_layer",
}
