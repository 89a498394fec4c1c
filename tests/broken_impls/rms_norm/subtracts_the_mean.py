"""RMSNorm that subtracts the mean first, as LayerNorm does (a LayerNorm without its bias)."""

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
        x = x - x.mean(dim=-1, keepdim=True)  # the centring RMSNorm leaves out
        return (x / torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps) * self.weight).to(dtype)


MUST_FAIL = {
    "checks/test_rms_norm.py::test_in_float16_rmsnorm_computes_the_mean_square_in_float32_so_entries_above_256_do_not_overflow",
    "checks/test_rms_norm.py::test_rmsnorm_matches_torch_rms_norm",
    "checks/test_rms_norm.py::test_rmsnorm_does_not_centre_so_a_shift_of_the_input_changes_it_while_layernorm_ignores_it",
}
