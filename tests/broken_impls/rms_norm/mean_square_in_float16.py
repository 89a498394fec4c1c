"""RMSNorm that squares a float16 input in float16, where x² overflows for |x| > 256."""

import torch
from torch import nn

from solutions.normalization import LayerNorm  # noqa: F401  (the checks compare RMSNorm with it)


class RMSNorm(nn.Module):
    def __init__(self, d_model, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps) * self.weight  # no upcast


MUST_FAIL = {
    "checks/test_rms_norm.py::test_in_float16_rmsnorm_computes_the_mean_square_in_float32_so_entries_above_256_do_not_overflow",
}
