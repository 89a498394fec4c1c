"""LoRA that scales the update by alpha instead of alpha / r."""

import torch
from torch import nn


class LoRALinear(nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base.requires_grad_(False)
        self.scale = alpha  # forgot / r
        self.A = nn.Parameter(torch.randn(r, base.in_features, dtype=base.weight.dtype) / r ** 0.5)
        self.B = nn.Parameter(torch.zeros(base.out_features, r, dtype=base.weight.dtype))

    def forward(self, x):
        return self.base(x) + self.scale * (x @ self.A.T @ self.B.T)

    def merged(self):
        out = nn.Linear(self.base.in_features, self.base.out_features, dtype=self.base.weight.dtype)
        with torch.no_grad():
            out.weight.copy_(self.base.weight + self.scale * self.B @ self.A)
            out.bias.copy_(self.base.bias)
        return out


MUST_FAIL = {
    "checks/test_lora.py::test_lora_output_is_the_base_output_plus_alpha_over_r_times_b_a_x",
    "checks/test_lora.py::test_the_merged_layer_is_an_nn_linear_with_the_same_outputs_as_the_adapted_layer",
}
