"""LoRA with B initialised randomly like A, so the adapted layer no longer starts equal to the pre-trained one."""

import torch
from torch import nn

from solutions.lora import LoRALinear as _Correct


class LoRALinear(_Correct):
    def __init__(self, base, r, alpha):
        super().__init__(base, r, alpha)
        self.B = nn.Parameter(torch.randn_like(self.B) / r ** 0.5)  # "both factors random"


MUST_FAIL = {
    "checks/test_lora.py::test_lora_starts_equal_to_the_frozen_layer_it_wraps",
}
