"""RMSNorm that adds eps to the root mean square instead of to the mean square."""

import torch
from torch import nn

from solutions.normalization import LayerNorm  # noqa: F401  (the checks compare RMSNorm with it)


class RMSNorm(nn.Module):
    def __init__(self, d_model, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model))

    def forward(self, x):
        dtype, x = x.dtype, x.to(torch.promote_types(x.dtype, torch.float32))
        rms = torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True))
        return (x / (rms + self.eps) * self.weight).to(dtype)  # eps outside the square root


MUST_FAIL = {
    "checks/test_rms_norm.py::test_rmsnorm_matches_torch_rms_norm",
    "checks/test_rms_norm.py::test_on_zero_mean_rows_rmsnorm_equals_layernorm_without_its_bias",
}
