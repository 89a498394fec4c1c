"""RMSNorm that takes the mean square over the positions (dim=-2) instead of the features."""

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
        mean_square = x.pow(2).mean(dim=-2, keepdim=True)  # over T, not over D
        return (x / torch.sqrt(mean_square + self.eps) * self.weight).to(dtype)


MUST_FAIL = {
    "checks/test_rms_norm.py::test_in_float16_rmsnorm_computes_the_mean_square_in_float32_so_entries_above_256_do_not_overflow",
    "checks/test_rms_norm.py::test_rmsnorm_matches_torch_rms_norm",
    "checks/test_rms_norm.py::test_on_zero_mean_rows_rmsnorm_equals_layernorm_without_its_bias",
    "checks/test_rms_norm.py::test_rmsnorm_is_scale_invariant_per_position_and_gives_each_position_rms_one",
    "checks/test_rms_norm.py::test_rmsnorm_does_not_centre_so_a_shift_of_the_input_changes_it_while_layernorm_ignores_it",
}
