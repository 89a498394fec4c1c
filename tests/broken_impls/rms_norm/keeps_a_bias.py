"""RMSNorm that keeps LayerNorm's bias (beta), so it has 2D parameters instead of D."""

import torch
from torch import nn

from solutions.normalization import LayerNorm  # noqa: F401  (the checks compare RMSNorm with it)


class RMSNorm(nn.Module):
    def __init__(self, d_model, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model))
        self.bias = nn.Parameter(torch.zeros(d_model))  # RMSNorm has no bias

    def forward(self, x):
        dtype, x = x.dtype, x.to(torch.promote_types(x.dtype, torch.float32))
        return (x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps) * self.weight + self.bias).to(dtype)


MUST_FAIL = {
    "checks/test_rms_norm.py::test_rmsnorm_has_d_parameters_half_of_layernorm",
}
