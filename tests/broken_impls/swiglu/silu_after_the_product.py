"""SwiGLU that multiplies the two projections first and applies silu to the product."""

import torch.nn.functional as F
from torch import nn

from solutions.swiglu import swiglu_hidden_width  # noqa: F401


class SwiGLU(nn.Module):
    def __init__(self, d_model, d_ff):
        super().__init__()
        self.w1 = nn.Linear(d_model, d_ff, bias=False)
        self.w3 = nn.Linear(d_model, d_ff, bias=False)
        self.w2 = nn.Linear(d_ff, d_model, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x) * self.w3(x)))  # silu(w1 x * w3 x), not silu(w1 x) * w3 x


MUST_FAIL = {
    "checks/test_swiglu.py::test_swiglu_is_w2_of_silu_of_w1x_times_w3x",
    "checks/test_swiglu.py::test_swiglu_output_is_linear_in_the_up_projection_so_a_zero_up_projection_gives_zero",
}
